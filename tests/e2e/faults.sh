# Programs that go wrong or do unusual things under the tracer: crashes,
# signals of their own, threads by the thousand, a main thread that leaves
# first, fork, vfork, exec, deep recursion, longjmp, C++ exceptions, and
# stripped/static builds. Fixtures: tests/fixtures/c/faults/.
FF=$FIX/c/faults

# run_trace with a shorter limit: every case here takes well under a second,
# and a hang (exec handling in flux) must not cost a minute per run.
run_trace() {
	local name=$1; shift
	[[ $1 == -- ]] && shift
	timeout -k 2 10 "$TINYDBG" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null
	RC=$?
	[[ $RC == 124 || $RC == 137 ]] && fail "$name: tinydbg timed out (10 s)"
	return 0
}

# want NAME LINE...: writes the expected stderr of NAME.
want() {
	local name=$1; shift
	printf '%s\n' "$@" >"$OUT/$name.want"
}

# expect_out NAME LINE...: the program's own stdout is exactly these lines.
expect_out() {
	local name=$1; shift
	printf '%s\n' "$@" >"$OUT/$name.outwant"
	if cmp -s "$OUT/$name.outwant" "$OUT/$name.out"; then
		pass "$name program output"
	else
		fail "$name: program printed '$(tr '\n' '|' <"$OUT/$name.out")', want '$(tr '\n' '|' <"$OUT/$name.outwant")'"
	fi
}

# --- 1. SIGSEGV inside a traced function, and in a function it calls -------
for v in gcc:-O2:nopie clang:-O2:pie; do
	bin=$(build "$FIX/c/crash.c" "$v") || { fail "build crash $v"; continue; }
	run_trace "faults-crash-$v" -- trace --seq-ids -e "$bin" '^boom$' -- crash
	expect_rc "faults-crash-$v" 139
	want "faults-crash-$v" '> thread(1): boom(NULL)' 'Process 1 was killed by signal SIGSEGV'
	expect_same "faults-crash-$v" "$OUT/faults-crash-$v.want"
done
for v in gcc:-O0:pie gcc:-O2:nopie clang:-O2:pie; do
	bin=$(build "$FF/crash_callee.c" "$v") || { fail "build crash_callee $v"; continue; }
	run_trace "faults-crash-callee-$v" -- trace --seq-ids -e "$bin" '^caller$'
	expect_rc "faults-crash-callee-$v" 139
	want "faults-crash-callee-$v" '> thread(1): caller(3)' 'Process 1 was killed by signal SIGSEGV'
	expect_same "faults-crash-callee-$v" "$OUT/faults-crash-callee-$v.want"
done

# --- 2. Signals the target sends itself -------------------------------------
SIGRE='^(on_signal|raiser|trapper|writer|after)$'
for v in gcc:-O0:pie clang:-O2:nopie; do
	bin=$(build "$FF/selfsig.c" "$v") || { fail "build selfsig $v"; continue; }
	# raise(SIGTRAP) with a handler: not one of our breakpoints; the
	# handler runs and the program goes on.
	n=faults-sigtrap-handler-$v
	run_trace "$n" -- trace --seq-ids -e "$bin" "$SIGRE" -- trap
	expect_rc "$n" 0
	want "$n" '> thread(1): raiser(5)' '> thread(1): on_signal(5)' '>> thread(1): on_signal => (50)' \
		'>> thread(1): raiser => (51)' '> thread(1): after(51)' '>> thread(1): after => (52)' \
		'Process 1 has exited with status 0'
	expect_same "$n" "$OUT/$n.want"
	expect_out "$n" 'got 51'
	# An int3 instruction of the program's own, with a handler.
	n=faults-int3-handler-$v
	run_trace "$n" -- trace --seq-ids -e "$bin" "$SIGRE" -- int3
	expect_rc "$n" 0
	want "$n" '> thread(1): trapper(2)' '> thread(1): on_signal(5)' '>> thread(1): on_signal => (50)' \
		'>> thread(1): trapper => (52)' '> thread(1): after(52)' '>> thread(1): after => (53)' \
		'Process 1 has exited with status 0'
	expect_same "$n" "$OUT/$n.want"
	expect_out "$n" 'got 52'
	# raise(SIGTRAP) without a handler: killed by it.
	n=faults-sigtrap-nohandler-$v
	run_trace "$n" -- trace --seq-ids -e "$bin" "$SIGRE" -- nohandler
	expect_rc "$n" 133
	want "$n" '> thread(1): raiser(5)' 'Process 1 was killed by signal SIGTRAP'
	expect_same "$n" "$OUT/$n.want"
	# raise(SIGINT) with a handler: delivered unchanged, the handler runs.
	n=faults-sigint-handler-$v
	run_trace "$n" -- trace --seq-ids -e "$bin" "$SIGRE" -- int
	expect_rc "$n" 0
	want "$n" '> thread(1): raiser(2)' '> thread(1): on_signal(2)' '>> thread(1): on_signal => (20)' \
		'>> thread(1): raiser => (21)' '> thread(1): after(21)' '>> thread(1): after => (22)' \
		'Process 1 has exited with status 0'
	expect_same "$n" "$OUT/$n.want"
	expect_out "$n" 'got 21'
	# raise(SIGTERM), no handler: the default action kills it, as untraced.
	n=faults-sigterm-default-$v
	run_trace "$n" -- trace --seq-ids -e "$bin" "$SIGRE" -- term
	expect_rc "$n" 143
	want "$n" '> thread(1): raiser(15)' 'Process 1 was killed by signal SIGTERM'
	expect_same "$n" "$OUT/$n.want"
	# A write to a pipe nobody reads: SIGPIPE kills it, as it does
	# untraced (unless whoever runs the tests ignores SIGPIPE already).
	n=faults-sigpipe-default-$v
	"$bin" pipe >/dev/null 2>&1
	native=$?
	if [[ $native == 141 ]]; then
		run_trace "$n" -- trace --seq-ids -e "$bin" "$SIGRE" -- pipe
		expect_rc "$n" 141
		want "$n" '> thread(1): writer(1)' 'Process 1 was killed by signal SIGPIPE'
		expect_same "$n" "$OUT/$n.want"
	else
		pass "$n skipped: SIGPIPE is ignored by the test environment"
	fi
done

# --- 3. 2000 threads, a few at a time, one call each -------------------------
for v in gcc:-O2:pie clang:-O0:nopie; do
	bin=$(build "$FF/manythreads.c" "$v") || { fail "build manythreads $v"; continue; }
	n=faults-manythreads-$v
	run_trace "$n" -- trace --seq-ids -e "$bin" '^work$'
	expect_rc "$n" 0
	expect_out "$n" 'sum 5999000'
	# Every thread: one entry work(id), then its return id*3+1; every id
	# 0..1999 once; nothing else but the closing line.
	gawk '
	/^> thread\([0-9]+\): work\([0-9]+\)$/ { match($0, /thread\(([0-9]+)\): work\(([0-9]+)\)/, m)
		if (m[1] in open || m[1] in done) bad++
		open[m[1]] = m[2]; if (ids[m[2]]++) dup++; entries++; next }
	/^>> thread\([0-9]+\): work => \([0-9]+\)$/ { match($0, /thread\(([0-9]+)\): work => \(([0-9]+)\)/, m)
		if (!(m[1] in open) || m[2] != open[m[1]] * 3 + 1) bad++
		delete open[m[1]]; done[m[1]] = 1; returns++; next }
	/^Process 1 has exited with status 0$/ { closing++; next }
	{ other++ }
	END { for (t in open) bad++
		for (i = 0; i < 2000; i++) if (!(i in ids)) missing++
		if (entries != 2000 || returns != 2000 || bad || dup || missing || other || closing != 1) {
			printf "entries %d returns %d (want 2000) mismatched %d duplicated %d missing %d other lines %d closing %d\n", entries, returns, bad, dup, missing, other, closing; exit 1 } }
	' "$OUT/$n.err" >"$OUT/$n.check" && pass "$n events" || fail "$n: $(cat "$OUT/$n.check")"
done

# --- 4. The main thread calls pthread_exit; the others go on -----------------
for v in gcc:-O0:pie gcc:-O2:nopie clang:-O2:pie; do
	bin=$(build "$FF/mainexit.c" "$v") || { fail "build mainexit $v"; continue; }
	n=faults-mainexit-$v
	run_trace "$n" -- trace --seq-ids -e "$bin" '^work$'
	expect_rc "$n" 0
	# Thread 1: work(0, 0) only. Three others: work(id, 0..99) in order,
	# each returning id*1000+i right after; last line: status 0.
	gawk '
	/^> thread\([0-9]+\): work\([0-9]+, [0-9]+\)$/ { match($0, /thread\(([0-9]+)\): work\(([0-9]+), ([0-9]+)\)/, m)
		t = m[1]; if (t in open) bad++
		if (t == 1) { if (m[2] != 0 || m[3] != 0) bad++ }
		else { if (t in id && id[t] != m[2]) bad++; id[t] = m[2]; if (m[3] != next_i[t]++) bad++ }
		open[t] = m[2] * 1000 + m[3]; entries++; next }
	/^>> thread\([0-9]+\): work => \([0-9]+\)$/ { match($0, /thread\(([0-9]+)\): work => \(([0-9]+)\)/, m)
		if (!(m[1] in open) || open[m[1]] != m[2]) bad++
		delete open[m[1]]; returns++; next }
	{ last = $0; if ($0 != "Process 1 has exited with status 0") other++ }
	END { for (t in open) bad++
		nt = 0; for (t in id) { nt++; if (next_i[t] != 100) bad++; ids[id[t]]++ }
		if (nt != 3 || !(1 in ids) || !(2 in ids) || !(3 in ids)) bad++
		if (entries != 301 || returns != 301 || bad || other || last != "Process 1 has exited with status 0") {
			printf "entries %d returns %d (want 301) bad %d other lines %d last %s\n", entries, returns, bad, other, last; exit 1 } }
	' "$OUT/$n.err" >"$OUT/$n.check" && pass "$n events" || fail "$n: $(cat "$OUT/$n.check")"
done

# --- 5. fork: the child runs untraced and unharmed ---------------------------
for v in gcc:-O0:pie gcc:-O2:nopie clang:-O2:pie; do
	bin=$(build "$FF/forker.c" "$v") || { fail "build forker $v"; continue; }
	n=faults-fork-$v
	run_trace "$n" -- trace --seq-ids -e "$bin" '^work$'
	expect_rc "$n" 0
	want "$n" '> thread(1): work(1)' '>> thread(1): work => (2)' '> thread(1): work(3)' '>> thread(1): work => (6)' \
		'Process 1 has exited with status 0'
	expect_same "$n" "$OUT/$n.want"
	expect_out "$n" 'child sum 60' 'child exited 0' 'parent 8'
done

# --- 6. vfork + exec of /bin/true --------------------------------------------
for v in gcc:-O0:pie gcc:-O2:nopie clang:-O2:pie; do
	bin=$(build "$FF/vforker.c" "$v") || { fail "build vforker $v"; continue; }
	n=faults-vfork-$v
	run_trace "$n" -- trace --seq-ids -e "$bin" '^work$'
	expect_rc "$n" 0
	want "$n" '> thread(1): work(1)' '>> thread(1): work => (2)' '> thread(1): work(3)' '>> thread(1): work => (6)' \
		'Process 1 has exited with status 0'
	expect_same "$n" "$OUT/$n.want"
	expect_out "$n" 'child exited 0' 'parent 8'
done

# --- 7. execve of another program, from the main thread and from another ----
# The regexp names functions of both images: the new one is traced too. After
# the exec the process has one thread, with the process's id: thread(1).
for v in gcc:-O0:pie gcc:-O2:nopie; do
	tbin=$(build "$FF/exec_target.c" "$v") || { fail "build exec_target $v"; continue; }
	bin=$(build "$FF/execer.c" "$v") || { fail "build execer $v"; continue; }
	n=faults-exec-main-$v
	run_trace "$n" -- trace --seq-ids -e "$bin" '^(before_exec|in_new_image)$' -- main "$tbin"
	expect_rc "$n" 5
	want "$n" '> thread(1): before_exec(1)' '>> thread(1): before_exec => (101)' \
		'> thread(1): in_new_image(6, "from-main")' '>> thread(1): in_new_image => (51)' \
		'Process 1 has exited with status 5'
	expect_same "$n" "$OUT/$n.want"
	expect_out "$n" 'new image 51'
	n=faults-exec-thread-$v
	run_trace "$n" -- trace --seq-ids -e "$bin" '^(before_exec|in_new_image)$' -- thread "$tbin"
	expect_rc "$n" 5
	want "$n" '> thread(1): before_exec(1)' '>> thread(1): before_exec => (101)' \
		'> thread(2): before_exec(2)' '>> thread(2): before_exec => (102)' \
		'> thread(1): in_new_image(6, "from-thread")' '>> thread(1): in_new_image => (53)' \
		'Process 1 has exited with status 5'
	expect_same "$n" "$OUT/$n.want"
	expect_out "$n" 'new image 53'
done

# --- 8. Recursion 10,000 deep: down(9999) .. down(0) --------------------------
for v in gcc:-O0:pie gcc:-O2:nopie clang:-O2:pie; do
	bin=$(build "$FF/recurse.c" "$v") || { fail "build recurse $v"; continue; }
	n=faults-recurse-$v
	run_trace "$n" -- trace --seq-ids -e "$bin" '^down$' -- 9999
	expect_rc "$n" 0
	expect_out "$n" 49995000
	# Entries down(9999) .. down(0), then returns n(n+1)/2 innermost
	# first: nested, depth back to 0.
	gawk '
	/^> thread\(1\): down\([0-9]+\)$/ { match($0, /down\(([0-9]+)\)/, m)
		if (m[1] != 9999 - entries) bad++
		st[++d] = m[1]; if (d > maxd) maxd = d; entries++; next }
	/^>> thread\(1\): down => \([0-9]+\)$/ { match($0, /=> \(([0-9]+)\)/, m)
		if (d < 1 || m[1] != st[d] * (st[d] + 1) / 2) bad++
		d--; returns++; next }
	{ last = $0; other++ }
	END { if (entries != 10000 || returns != 10000 || d != 0 || maxd != 10000 || bad || other != 1 || last != "Process 1 has exited with status 0") {
		printf "entries %d returns %d (want 10000) depth %d max %d bad %d other lines %d last %s\n", entries, returns, d, maxd, bad, other, last; exit 1 } }
	' "$OUT/$n.err" >"$OUT/$n.check" && pass "$n events" || fail "$n: $(cat "$OUT/$n.check")"
done

# --- 9. longjmp out of two traced frames, twice, then more calls -------------
for v in gcc:-O0:pie gcc:-O2:nopie clang:-O2:pie; do
	bin=$(build "$FF/jump.c" "$v") || { fail "build jump $v"; continue; }
	n=faults-longjmp-$v
	run_trace "$n" -- trace --seq-ids -e "$bin" '^(inner|outer)$'
	expect_rc "$n" 0
	want "$n" '> thread(1): outer(3)' '> thread(1): inner(4)' \
		'> thread(1): outer(6)' '> thread(1): inner(7)' \
		'> thread(1): outer(20)' '> thread(1): inner(21)' '>> thread(1): inner => (42)' '>> thread(1): outer => (43)' \
		'Process 1 has exited with status 0'
	expect_same "$n" "$OUT/$n.want"
	expect_out "$n" 'setjmp 0' 'setjmp 4' 'setjmp 7' 'outer 43'
done

# --- 10. A C++ exception through traced frames --------------------------------
for v in gcc:-O0:pie gcc:-O2:nopie clang:-O2:pie; do
	bin=$(build "$FF/throw.cpp" "$v") || { fail "build throw $v"; continue; }
	n=faults-throw-$v
	run_trace "$n" -- trace --seq-ids -e "$bin" '^(thrower|middle)$'
	expect_rc "$n" 0
	want "$n" '> thread(1): middle(-1)' '> thread(1): thrower(-1)' \
		'> thread(1): middle(-2)' '> thread(1): thrower(-2)' \
		'> thread(1): middle(4)' '> thread(1): thrower(4)' '>> thread(1): thrower => (8)' '>> thread(1): middle => (9)' \
		'Process 1 has exited with status 0'
	expect_same "$n" "$OUT/$n.want"
	expect_out "$n" 'caught negative' 'caught negative' 9
done

# --- 11. One program, built stripped, static, PIE, non-PIE -------------------
SH=$OUT/faults-shapes
mkdir -p "$SH"
# shape NAME FLAGS...: builds shapes.c with FLAGS into $SH/NAME.
shape() {
	local name=$1; shift
	if [[ ! -x $SH/$name || $FF/shapes.c -nt $SH/$name ]]; then
		gcc -g -O2 -I"$FIX/c" "$@" -o "$SH/$name" "$FF/shapes.c" >"$SH/$name.log" 2>&1 ||
			{ fail "build shapes $name: $(cat "$SH/$name.log")"; return 1; }
	fi
}
want faults-shapes \
	'> thread(1): total(3, "A")' \
	'> thread(1): twice(0)' '> thread(1): leaf(0)' '>> thread(1): leaf => (1)' '> thread(1): leaf(0)' '>> thread(1): leaf => (1)' '>> thread(1): twice => (2)' \
	'> thread(1): twice(1)' '> thread(1): leaf(1)' '>> thread(1): leaf => (2)' '> thread(1): leaf(2)' '>> thread(1): leaf => (3)' '>> thread(1): twice => (5)' \
	'> thread(1): twice(2)' '> thread(1): leaf(2)' '>> thread(1): leaf => (3)' '> thread(1): leaf(4)' '>> thread(1): leaf => (5)' '>> thread(1): twice => (8)' \
	'>> thread(1): total => (80)' 'Process 1 has exited with status 0'
# The function-name sequence of a trace: "> name" / ">> name" per event.
names() { sed -nE 's/^(>>?) thread\(1\): ([a-z]+)[( ].*/\1 \2/p' "$1"; }
names "$OUT/faults-shapes.want" >"$OUT/faults-shapes.names"
shape pie -fPIE -pie
shape nopie -fno-pie -no-pie
shape static -static
shape static-pie -static-pie
# Stripped: the names stay in .dynsym (-rdynamic); DWARF and .symtab go.
shape stripped-pie -fPIE -pie -rdynamic && strip "$SH/stripped-pie"
shape stripped-nopie -fno-pie -no-pie -rdynamic && strip "$SH/stripped-nopie"
# Debug info only removed: the names come from .symtab.
shape nodebug -fPIE -pie && strip --strip-debug "$SH/nodebug"
for k in pie nopie static static-pie stripped-pie stripped-nopie nodebug; do
	[[ -x $SH/$k ]] || continue
	n=faults-shapes-$k
	run_trace "$n" -- trace --seq-ids -e "$SH/$k" '^(leaf|twice|total)$'
	expect_rc "$n" 0
	expect_out "$n" 80
	names "$OUT/$n.err" >"$OUT/$n.names"
	if cmp -s "$OUT/faults-shapes.names" "$OUT/$n.names"; then
		pass "$n function names"
	else
		fail "$n: function-name sequence differs: $(diff "$OUT/faults-shapes.names" "$OUT/$n.names" | head -5 | tr '\n' '|')"
	fi
	case $k in
	stripped-* | nodebug)
		# A warning first, then the same lines with every value `?`.
		{
			echo "tinydbg: warning: $SH/$k has no DWARF debug info: arguments and results are shown as ?"
			sed -E 's/^(> thread\(1\): [a-z]+)\(.*\)$/\1(?)/; s/^(>> thread\(1\): [a-z]+ => )\(.*\)$/\1(?)/' "$OUT/faults-shapes.want"
		} >"$OUT/$n.want"
		;;
	*) cp "$OUT/faults-shapes.want" "$OUT/$n.want" ;;
	esac
	expect_same "$n" "$OUT/$n.want"
done
