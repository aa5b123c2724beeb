# --summary, --summary-only, --folded (issue 12 item 5): the table's calls
# and errors are exact, its rows sorted by total time; the folded stacks
# are the traced call paths, one line each, as flame graph tools read them.
ibin=$(build "$FIX/c/inproc.c" gcc:-O2:pie)
run_trace sum-only -- trace --seq-ids --summary-only --folded "$OUT/sum.folded" -e "$ibin" '^(nothing|looped|leaf|outer)$' -- 1000
expect_rc sum-only 0
# calls: leaf 1000 times from main and once from outer.
got=$(awk '$1 ~ /^(leaf|outer|looped|nothing)$/ { print $1, $2, $3 }' "$OUT/sum-only.err" | sort | tr '\n' ';')
[[ $got == 'leaf 1001 0;looped 1 0;nothing 1 0;outer 1 0;' ]] && pass "sum-only: calls and errors" ||
	fail "sum-only: rows $got"
[[ $(grep -c '^[>]' "$OUT/sum-only.err") == 0 ]] && pass "sum-only: no event lines" ||
	fail "sum-only: event lines printed"
# Sorted by total time, largest first; leaf's total is the largest where
# each of its calls takes a stop or a uprobe (under inproc its 1001 calls
# cost some 50 µs in all, less than looped's one breakpoint stop: there
# the row with the largest total is first, whichever it is).
totals=$(awk 'NR > 1 && $1 ~ /^(leaf|outer|looped|nothing)$/ { print $4 }' "$OUT/sum-only.err")
first=$(awk '$1 ~ /^(leaf|outer|looped|nothing)$/ { print $1; exit }' "$OUT/sum-only.err")
if [[ ${TINYDBG_ENGINE:-ptrace} == inproc ]]; then want_first=$(awk 'NR > 1 && $1 ~ /^(leaf|outer|looped|nothing)$/ && $4 > m { m = $4; n = $1 } END { print n }' "$OUT/sum-only.err"); else want_first=leaf; fi
[[ $totals == "$(sort -rn <<<"$totals")" && $first == "$want_first" ]] &&
	pass "sum-only: sorted by total" || fail "sum-only: not sorted: $totals"
# Folded: the call paths, "stack N".
stacks=$(awk '{ print $1 }' "$OUT/sum.folded" | sort | tr '\n' ' ')
if [[ $stacks == 'leaf looped nothing outer outer;leaf ' ]] && ! grep -Evq '^[^ ]+ [0-9]+$' "$OUT/sum.folded"; then
	pass "sum-folded: $(wc -l <"$OUT/sum.folded") stacks"
else
	fail "sum-folded: $(cat "$OUT/sum.folded")"
fi
# With the trace, and system calls: failed ones counted as errors.
sc_bin=$OUT/sysfn-static
if [[ ! -x $sc_bin || $FIX/c/sysfn.c -nt $sc_bin ]]; then
	gcc -g -O1 -static -I"$FIX/c" -o "$sc_bin" "$FIX/c/sysfn.c" 2>"$sc_bin.log" || fail "build $sc_bin"
fi
run_trace sum-sys -- trace --seq-ids --summary --syscalls '^(openat|close|getpid)$' -e "$sc_bin" '^opener$'
expect_rc sum-sys 0
got=$(awk '$1 == "syscall" { print $2, $3, $4 } $1 == "opener" { print $1, $2, $3 }' "$OUT/sum-sys.err" | sort | tr '\n' ';')
[[ $got == 'close 1 0;getpid 1 0;openat 2 1;opener 2 0;' ]] && pass "sum-sys: syscalls and errors" ||
	fail "sum-sys: rows $got"
grep -q '^> thread(1): opener(' "$OUT/sum-sys.err" && pass "sum-sys: events printed too" || fail "sum-sys: no events"
run_trace sum-badfold -- trace --folded /nonexistent-dir/x.folded -e "$ibin" '^leaf$'
expect_rc sum-badfold 1
grep -q '^tinydbg: writing --folded "/nonexistent-dir/x.folded": No such file or directory$' "$OUT/sum-badfold.err" &&
	pass "sum-badfold message" || fail "sum-badfold: $(tail -2 "$OUT/sum-badfold.err")"
