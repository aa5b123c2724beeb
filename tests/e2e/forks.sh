# --follow-forks (issue 11, item 4): the fork child, the vfork child's new
# program and /bin/true are traced with the same regexp, each line naming
# its process; each process's end is reported; tinydbg exits with the
# first process's status. Without the flag, children run untraced.
fk_src=$FIX/c/forks.c

# The lines of process $2 in $1, in order.
fk_proc() { grep -E "^(>>? thread\($2/|Process $2 )" "$1"; }

fk_expect() {
	local name=$1 want
	# Each process's own lines are deterministic; processes interleave.
	for p in 1 2 3; do
		fk_proc "$OUT/$name.err" $p
	done >"$OUT/$name.got"
	want="> thread(1/1): work(1)
>> thread(1/1): work => (2)
> thread(1/1): work(4)
>> thread(1/1): work => (5)
Process 1 has exited with status 5
> thread(2/1): work(2)
>> thread(2/1): work => (3)
> thread(2/1): work(3)
>> thread(2/1): work => (4)
Process 2 has exited with status 0
> thread(3/1): work(100)
>> thread(3/1): work => (101)
Process 3 has exited with status 0"
	if [[ $(cat "$OUT/$name.got") == "$want" ]]; then
		pass "$name: each process's calls and end"
	else
		fail "$name: got:"
		cat "$OUT/$name.err" >&2
	fi
	# /bin/true: a process of its own, traced or said untraced.
	if grep -qE '^Process 4 has exited with status 0$|^tinydbg: note: process [0-9]+ runs untraced' "$OUT/$name.err"; then
		pass "$name: /bin/true accounted for"
	else
		fail "$name: /bin/true neither traced nor said untraced"
	fi
}

for v in gcc:-O0:pie gcc:-O2:nopie; do
	bin=$(build "$fk_src" "$v") || { fail "build forks $v"; continue; }
	run_trace "forks-$v" -- trace --seq-ids --follow-forks -e "$bin" '^work$'
	expect_rc "forks-$v" 5
	fk_expect "forks-$v"
done

bin=$(build "$fk_src" gcc:-O0:pie)
# Real ids: thread(PID/TID), the same PID on every line of a process.
run_trace forks-ids -- trace --follow-forks -e "$bin" '^work$'
n=$(grep -oE '^>>? thread\([0-9]+/' "$OUT/forks-ids.err" | sort -u | wc -l)
[[ $n -ge 3 ]] && pass "forks-ids: $n processes named by pid" ||
	fail "forks-ids: $n distinct processes: $(head -5 "$OUT/forks-ids.err")"

# Without the flag: the parent's calls only, children unharmed.
run_trace forks-off -- trace --seq-ids -e "$bin" '^work$'
expect_rc forks-off 5
printf '%s\n' '> thread(1): work(1)' '>> thread(1): work => (2)' \
	'> thread(1): work(4)' '>> thread(1): work => (5)' \
	'Process 1 has exited with status 5' >"$OUT/forks-off.want"
expect_same forks-off "$OUT/forks-off.want"

# Attached: the same, from a process already running.
attach_signal forks-attach "$bin" wait -- --seq-ids --follow-forks '^work$'
wait $ATTACHED 2>/dev/null
expect_rc forks-attach 5
fk_expect forks-attach
no_stray forks-attach "$bin wait"
