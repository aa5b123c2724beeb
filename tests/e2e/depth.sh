# --follow-calls N: the matched function and N-1 levels of what it calls,
# counted on the real call path, never more. leaf is two levels below top
# directly and four through mid1 and mid2; callback (through a pointer)
# calls mid2; strtol is in libc. Every frame(N) printed has N <= the flag.
for v in gcc:-O0:pie gcc:-O2:pie clang:-O0:pie clang:-O2:pie gcc:-O2:nopie; do
	bin=$(build "$FIX/c/depth.c" "$v") || { fail "depth: build $v"; continue; }
	for n in 1 2 3 4; do
		run_trace "depth$n-$v" -- trace --seq-ids -e "$bin" '^top$' --follow-calls $n
		expect_rc "depth$n-$v" 0
		{
			echo '> thread(1):frame(1) top(1, callback, "7")'
			((n >= 2)) && echo ' > thread(1):frame(2) mid1(1)'
			((n >= 3)) && echo '  > thread(1):frame(3) mid2(2)'
			((n >= 4)) && echo '   > thread(1):frame(4) leaf(3)'
			((n >= 4)) && echo '   >> thread(1):frame(4) leaf => (4)'
			((n >= 3)) && echo '  >> thread(1):frame(3) mid2 => (4)'
			((n >= 2)) && cat <<'WANT'
 >> thread(1):frame(2) mid1 => (4)
 > thread(1):frame(2) leaf(1)
 >> thread(1):frame(2) leaf => (2)
 > thread(1):frame(2) callback(1)
WANT
			((n >= 3)) && echo '  > thread(1):frame(3) mid2(10)'
			((n >= 4)) && echo '   > thread(1):frame(4) leaf(11)'
			((n >= 4)) && echo '   >> thread(1):frame(4) leaf => (12)'
			((n >= 3)) && echo '  >> thread(1):frame(3) mid2 => (12)'
			((n >= 2)) && cat <<'WANT'
 >> thread(1):frame(2) callback => (12)
 > thread(1):frame(2) strtol(?)
 >> thread(1):frame(2) strtol => (?)
WANT
			echo '>> thread(1):frame(1) top => (25)'
			echo 'Process 1 has exited with status 0'
		} >"$OUT/depth$n.want"
		expect_same "depth$n-$v" "$OUT/depth$n.want"
		deep=$(awk -v n=$n 'match($0, /frame\([0-9]+\)/) && substr($0, RSTART + 6, RLENGTH - 7) + 0 > n { print; exit }' \
			"$OUT/depth$n-$v.err")
		[[ -z $deep ]] && pass "depth$n-$v: no frame deeper than $n" ||
			fail "depth$n-$v: a frame deeper than $n: $deep"
	done
done
