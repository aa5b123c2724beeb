# --follow-calls N: the matched function and N-1 levels of what it calls,
# counted on the real call path, never more. leaf is two levels below top
# directly and four through mid1 and mid2; callback (through a pointer, a
# func value in Go) calls mid2; strtol is in libc. Every frame(N) printed
# has N <= the flag.

# libc as the program sees it, a black box at frame(2): not libc6-dbg's
# full symbol table, whose internal functions strtol calls would be
# followed too (debugfiles.sh uses it).
depth_nodebug=$(mktemp -d /tmp/tinydbg-nodebug.XXXXXX)
export TINYDBG_DEBUG_DIR=$depth_nodebug DEBUGINFOD_URLS=

# depth_want N WHO PKG: the expected output of '^top$' --follow-calls N;
# WHO is thread or goroutine, PKG the functions' prefix (Go's "main.").
depth_want() {
	local n=$1 w=$2 p=$3
	echo "> $w(1):frame(1) ${p}top(1, ${p}callback$([[ -z $p ]] && echo ', "7"'))"
	((n >= 2)) && echo " > $w(1):frame(2) ${p}mid1(1)"
	((n >= 3)) && echo "  > $w(1):frame(3) ${p}mid2(2)"
	((n >= 4)) && echo "   > $w(1):frame(4) ${p}leaf(3)"
	((n >= 4)) && echo "   >> $w(1):frame(4) ${p}leaf => (4)"
	((n >= 3)) && echo "  >> $w(1):frame(3) ${p}mid2 => (4)"
	((n >= 2)) && echo " >> $w(1):frame(2) ${p}mid1 => (4)"
	((n >= 2)) && echo " > $w(1):frame(2) ${p}leaf(1)"
	((n >= 2)) && echo " >> $w(1):frame(2) ${p}leaf => (2)"
	((n >= 2)) && echo " > $w(1):frame(2) ${p}callback(1)"
	((n >= 3)) && echo "  > $w(1):frame(3) ${p}mid2(10)"
	((n >= 4)) && echo "   > $w(1):frame(4) ${p}leaf(11)"
	((n >= 4)) && echo "   >> $w(1):frame(4) ${p}leaf => (12)"
	((n >= 3)) && echo "  >> $w(1):frame(3) ${p}mid2 => (12)"
	((n >= 2)) && echo " >> $w(1):frame(2) ${p}callback => (12)"
	((n >= 2)) && [[ -z $p ]] && echo " > $w(1):frame(2) strtol(\"7\", NULL, 10)"
	((n >= 2)) && [[ -z $p ]] && echo " >> $w(1):frame(2) strtol => (7)"
	echo ">> $w(1):frame(1) ${p}top => ($([[ -z $p ]] && echo 25 || echo 18))"
	echo 'Process 1 has exited with status 0'
}

# depth_max NAME N: no line of NAME's output shows a frame deeper than N.
depth_max() {
	local deep
	deep=$(awk -v n=$2 'match($0, /frame\([0-9]+\)/) && substr($0, RSTART + 6, RLENGTH - 7) + 0 > n { print; exit }' \
		"$OUT/$1.err")
	[[ -z $deep ]] && pass "$1: no frame deeper than $2" ||
		fail "$1: a frame deeper than $2: $deep"
}

for v in gcc:-O0:pie gcc:-O2:pie clang:-O0:pie clang:-O2:pie gcc:-O2:nopie; do
	bin=$(build "$FIX/c/depth.c" "$v") || { fail "depth: build $v"; continue; }
	for n in 1 2 3 4; do
		run_trace "depth$n-$v" -- trace --seq-ids -e "$bin" '^top$' --follow-calls $n
		expect_rc "depth$n-$v" 0
		depth_want $n thread '' >"$OUT/depth$n.want"
		expect_same "depth$n-$v" "$OUT/depth$n.want"
		depth_max "depth$n-$v" $n
	done
done

# Go had the same defect: depth per goroutine, a func value's call found
# when it runs.
if command -v go >/dev/null; then
	gbin=$OUT/godepth
	if [[ ! -x $gbin ]] || [[ -n $(find "$FIX/go/depth" -newer "$gbin" -name '*.go') ]]; then
		(cd "$FIX/go/depth" && go build -gcflags='all=-N -l' -o "$gbin" .) >"$OUT/godepth.log" 2>&1 ||
			fail "depth: go build: $(cat "$OUT/godepth.log")"
	fi
	for n in 1 2 3 4; do
		run_trace "depth-go$n" -- trace --seq-ids -e "$gbin" '^main\.top$' --follow-calls $n
		expect_rc "depth-go$n" 0
		depth_want $n goroutine main. >"$OUT/depth-go$n.want"
		expect_same "depth-go$n" "$OUT/depth-go$n.want"
		depth_max "depth-go$n" $n
	done
else
	fail "depth-go: go is needed (scripts/install-deps.sh)"
fi

# Tail calls: leaf is two levels below top directly, three through tailer,
# which jumps to it at -O2 (and rtop jumps to tailer): at 2 levels the
# jump's leaf is not shown, at 3 it is, as at -O0.
for v in gcc:-O0:pie gcc:-O2:pie clang:-O2:pie; do
	bin=$(build "$FIX/c/depthtail.c" "$v") || { fail "depth-tail: build $v"; continue; }
	run_trace "depth-tail2-$v" -- trace --seq-ids -e "$bin" '^(top|rtop)$' --follow-calls 2
	expect_rc "depth-tail2-$v" 0
	cat >"$OUT/depth-tail2.want" <<'WANT'
> thread(1):frame(1) top(1)
 > thread(1):frame(2) tailer(1)
 >> thread(1):frame(2) tailer => (3)
 > thread(1):frame(2) leaf(1)
 >> thread(1):frame(2) leaf => (2)
>> thread(1):frame(1) top => (5)
> thread(1):frame(1) rtop(5)
 > thread(1):frame(2) tailer(5)
 >> thread(1):frame(2) tailer => (7)
>> thread(1):frame(1) rtop => (7)
Process 1 has exited with status 0
WANT
	expect_same "depth-tail2-$v" "$OUT/depth-tail2.want"
	run_trace "depth-tail3-$v" -- trace --seq-ids -e "$bin" '^(top|rtop)$' --follow-calls 3
	expect_rc "depth-tail3-$v" 0
	cat >"$OUT/depth-tail3.want" <<'WANT'
> thread(1):frame(1) top(1)
 > thread(1):frame(2) tailer(1)
  > thread(1):frame(3) leaf(2)
  >> thread(1):frame(3) leaf => (3)
 >> thread(1):frame(2) tailer => (3)
 > thread(1):frame(2) leaf(1)
 >> thread(1):frame(2) leaf => (2)
>> thread(1):frame(1) top => (5)
> thread(1):frame(1) rtop(5)
 > thread(1):frame(2) tailer(5)
  > thread(1):frame(3) leaf(6)
  >> thread(1):frame(3) leaf => (7)
 >> thread(1):frame(2) tailer => (7)
>> thread(1):frame(1) rtop => (7)
Process 1 has exited with status 0
WANT
	expect_same "depth-tail3-$v" "$OUT/depth-tail3.want"
done
rmdir "$depth_nodebug"
unset TINYDBG_DEBUG_DIR
