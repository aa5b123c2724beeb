# gcc -O2's clones of a function are functions of their own, named by their
# symbols (foo.part.0, foo.isra.0, foo.constprop.0), and "^foo$" matches
# them too; a .cold part's ret is its function's return. work's jmp to
# work.part.0 once printed as work calling work, a recursion. Only gcc makes
# such clones (clang keeps one copy of each function).
for v in gcc:-O2:pie gcc:-O2:nopie gcc:-O2:cet; do
	bin=$(build "$FIX/c/clones.c" "$v") || { fail "build clones $v"; continue; }
	if [[ $(nm "$bin" | grep -cE ' t (work\.part\.0|scale\.isra\.0|mul\.constprop\.0|check\.cold)$') != 4 ]]; then
		fail "clones-$v: gcc made other clones: $(nm "$bin" | grep -E ' t [a-z]+\.' | tr '\n' ' ')"
		continue
	fi
	run_trace "clones-$v" -- trace --seq-ids -e "$bin" '^(work|scale|mul|check|report)$'
	expect_rc "clones-$v" 0
	expect_same "clones-$v" "$ROOT/tests/trace/clones.expected"
done

bin=$(build "$FIX/c/clones.c" gcc:-O2:pie)
# A regexp naming the clone matches the clone alone.
run_trace clones-part-only -- trace --seq-ids -e "$bin" 'work\.part'
printf '%s\n' '> thread(1): work.part.0(3)' '>> thread(1): work.part.0 => (4312)' \
	'> thread(1): work.part.0(4)' '>> thread(1): work.part.0 => (10758)' \
	'Process 1 has exited with status 0' >"$OUT/clones-part-only.want"
expect_same clones-part-only "$OUT/clones-part-only.want"
# A .cold part is no function: nothing is named after it.
run_trace clones-cold -- trace --seq-ids -e "$bin" 'cold'
expect_rc clones-cold 3
expect_err_line clones-cold "^tinydbg: no function matches 'cold' in $bin or the libraries it has loaded$"
# Without DWARF the symbols name the clones alike, and "^work$" finds both.
cp "$bin" "$OUT/clones-nodebug" && strip --strip-debug "$OUT/clones-nodebug"
run_trace clones-nodebug -- trace --seq-ids -e "$OUT/clones-nodebug" '^(work|check)$'
printf '%s\n' "tinydbg: warning: $OUT/clones-nodebug has no DWARF debug info: arguments and results are shown as ?" \
	'> thread(1): work.part.0(?)' '>> thread(1): work.part.0 => (?)' \
	'> thread(1): work(?)' '> thread(1): work.part.0(?)' \
	'>> thread(1): work.part.0 => (?)' '>> thread(1): work => (?)' \
	'> thread(1): check(?)' '>> thread(1): check => (?)' \
	'> thread(1): check(?)' '>> thread(1): check => (?)' \
	'Process 1 has exited with status 0' >"$OUT/clones-nodebug.want"
expect_same clones-nodebug "$OUT/clones-nodebug.want"

# twice() is static inline: at -O2 inlined at every call, so no code of its
# own. Said so, not "no function matches"; at -O0 it is traced.
for v in gcc:-O2:pie clang:-O2:pie gcc:-O2:nopie; do
	bin=$(build "$FIX/c/clones.c" "$v") || { fail "build clones $v"; continue; }
	run_trace "inlined-only-$v" -- trace --seq-ids -e "$bin" '^twice$'
	expect_rc "inlined-only-$v" 3
	expect_err_line "inlined-only-$v" "^tinydbg: '\\^twice\\$' matches only functions the compiler inlined at every call \\(twice\\): they have no code of their own to trace$"
	# Some inlined, some not: the others traced, one note first.
	run_trace "inlined-some-$v" -- trace --seq-ids -e "$bin" '^(twice|check)$'
	expect_rc "inlined-some-$v" 0
	printf '%s\n' 'tinydbg: note: not traced, inlined by the compiler at every call: twice' \
		'> thread(1): check(203)' '>> thread(1): check => (-203)' \
		'> thread(1): check(3)' '>> thread(1): check => (4)' \
		'Process 1 has exited with status 0' >"$OUT/inlined-some-$v.want"
	[[ $v == clang* ]] && printf '%s\n' 'tinydbg: note: not traced, inlined by the compiler at every call: twice' \
		'> thread(1): check(3)' '>> thread(1): check => (4)' \
		'> thread(1): check(203)' '>> thread(1): check => (-203)' \
		'Process 1 has exited with status 0' >"$OUT/inlined-some-$v.want"
	expect_same "inlined-some-$v" "$OUT/inlined-some-$v.want"
done
# Out of line at -O0: traced as any function, no note.
bin=$(build "$FIX/c/clones.c" gcc:-O0:pie)
run_trace inlined-O0 -- trace --seq-ids -e "$bin" '^twice$'
printf '%s\n' '> thread(1): twice(3)' '>> thread(1): twice => (6)' \
	'Process 1 has exited with status 0' >"$OUT/inlined-O0.want"
expect_same inlined-O0 "$OUT/inlined-O0.want"

# --follow-calls: a clone counts as a call of the function the regexp names,
# so, as every matched call, it is at frame(1) (depth counts from the
# innermost matched call).
bin=$(build "$FIX/c/clones.c" gcc:-O2:pie)
run_trace clones-follow -- trace --seq-ids -e "$bin" '^work$' --follow-calls 2
printf '%s\n' '> thread(1):frame(1) work.part.0(3)' '>> thread(1):frame(1) work.part.0 => (4312)' \
	'> thread(1):frame(1) work(4)' '> thread(1):frame(1) work.part.0(4)' \
	'>> thread(1):frame(1) work.part.0 => (10758)' '>> thread(1):frame(1) work => (10758)' \
	'Process 1 has exited with status 0' >"$OUT/clones-follow.want"
expect_same clones-follow "$OUT/clones-follow.want"
