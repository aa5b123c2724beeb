# Building the target: `trace [package] regexp` builds a Go package (go
# build, go test -c with -t) or a C/C++ source file, then traces it. A
# temporary binary lives in a directory under $TMPDIR, gone when tinydbg
# exits, however it exits. Go's -N -l builds are slow once (the standard
# library), then cached in the default GOCACHE: keep the builds few.
APP=$FIX/go/build/app

# fresh_tmp NAME: a new empty directory for TMPDIR, in $TMPD.
fresh_tmp() {
	TMPD=$OUT/tmp-$1
	rm -rf "$TMPD" && mkdir -p "$TMPD"
}

# tmp_gone NAME: nothing left in $TMPD (our binary and its directory).
tmp_gone() {
	if [[ -z $(ls -A "$TMPD") ]]; then
		pass "$1 temporary binary removed"
	else
		fail "$1: left in TMPDIR: $(ls -A "$TMPD")"
	fi
}

if ! command -v go >/dev/null; then
	fail "build: no go command to test with"
	return 0
fi

# The package in the current directory, when only a regexp is given.
fresh_tmp dot
(cd "$APP" && TMPDIR=$TMPD run_trace build-dot -- trace --seq-ids 'main\.add$'; exit $RC)
RC=$?
expect_rc build-dot 0
grep -q '^> .*main\.add(1, 2)$' "$OUT/build-dot.err" && grep -q '^>> .*main\.add => (3)$' "$OUT/build-dot.err" &&
	pass "build-dot traced" || fail "build-dot: $(head -3 "$OUT/build-dot.err")"
grep -qx 3 "$OUT/build-dot.out" && pass "build-dot program output" || fail "build-dot: stdout $(head -3 "$OUT/build-dot.out")"
tmp_gone build-dot

# A package directory given, the target's arguments after --.
fresh_tmp dir
(cd "$APP" && TMPDIR=$TMPD run_trace build-dir -- trace --seq-ids ./cmd/greet 'main\.greet$'; exit $RC)
RC=$?
expect_rc build-dir 0
grep -q '^> .*main\.greet(3)$' "$OUT/build-dir.err" && pass "build-dir traced" || fail "build-dir: $(head -3 "$OUT/build-dir.err")"
tmp_gone build-dir

# -t: the package's test binary; test flags after --.
fresh_tmp test
(cd "$APP" && TMPDIR=$TMPD run_trace build-test -- trace --seq-ids -t ./calc 'calc\.Mul$' -- -test.run=TestMul; exit $RC)
RC=$?
expect_rc build-test 0
grep -q 'calc\.Mul(3, 4)$' "$OUT/build-test.err" && ! grep -q 'calc\.Mul(5, 6)' "$OUT/build-test.err" &&
	pass "build-test traced TestMul only" || fail "build-test: $(head -5 "$OUT/build-test.err")"
tmp_gone build-test

# --output: the binary is kept there (and nothing goes to TMPDIR).
fresh_tmp output
rm -f "$OUT/app-kept"
(cd "$APP" && TMPDIR=$TMPD run_trace build-output -- trace --seq-ids -o "$OUT/app-kept" . 'main\.add$'; exit $RC)
RC=$?
expect_rc build-output 0
grep -q 'main\.add(1, 2)$' "$OUT/build-output.err" && pass "build-output traced" || fail "build-output: $(head -3 "$OUT/build-output.err")"
[[ -x $OUT/app-kept ]] && [[ $("$OUT/app-kept") == 3 ]] && pass "build-output kept" || fail "build-output: $OUT/app-kept missing"
tmp_gone build-output

# --build-flags reach go: main.tagged exists only with -tags=extra.
fresh_tmp tags
(cd "$APP" && TMPDIR=$TMPD run_trace build-tags -- trace --seq-ids --build-flags='-tags=extra' . 'main\.tagged$'; exit $RC)
RC=$?
expect_rc build-tags 0
grep -q 'main\.tagged(7)$' "$OUT/build-tags.err" && pass "build-tags traced" || fail "build-tags: $(head -3 "$OUT/build-tags.err")"
tmp_gone build-tags
# Without the tag: nothing matches (exit 3), and the binary goes too.
(cd "$APP" && TMPDIR=$TMPD run_trace build-notags -- trace . 'main\.tagged$'; exit $RC)
RC=$?
expect_rc build-notags 3
expect_err_line build-notags "no function matches"
tmp_gone build-notags

# A C source file, built with cc -g -O0 and the build flags after it; C++
# with c++.
fresh_tmp c
TMPDIR=$TMPD run_trace build-c -- trace --seq-ids --build-flags "-I'$FIX/c'" "$FIX/c/values.c" '^add$'
expect_rc build-c 0
grep -q '^> thread(1): add(1, 2)$' "$OUT/build-c.err" && pass "build-c traced" || fail "build-c: $(head -3 "$OUT/build-c.err")"
tmp_gone build-c
TMPDIR=$TMPD run_trace build-cxx -- trace --seq-ids "$FIX/c/cpp.cpp" '^ns::free_fn$'
expect_rc build-cxx 0
grep -q '^> thread(1): ns::free_fn(9, 4)$' "$OUT/build-cxx.err" && pass "build-cxx traced" || fail "build-cxx: $(head -3 "$OUT/build-cxx.err")"
tmp_gone build-cxx

# A failed build: the compiler's messages as it printed them, then ours;
# exit 4 (cannot start); the temporary directory removed.
BROKEN=$OUT/broken-mod
mkdir -p "$BROKEN"
printf 'module example.com/broken\n\ngo 1.19\n' >"$BROKEN/go.mod"
printf 'package main\n\nfunc main() {\n\tx :=\n}\n' >"$BROKEN/main.go"
fresh_tmp broken
(cd "$BROKEN" && TMPDIR=$TMPD run_trace build-broken -- trace 'main'; exit $RC)
RC=$?
expect_rc build-broken 4
grep -q 'main.go:5:1: syntax error' "$OUT/build-broken.err" && pass "build-broken compiler message" || fail "build-broken: $(head -3 "$OUT/build-broken.err")"
tail -1 "$OUT/build-broken.err" | grep -q '^tinydbg: could not build \.: go build exited with status [1-9]' &&
	pass "build-broken last line" || fail "build-broken last line: $(tail -1 "$OUT/build-broken.err")"
[[ ! -s $OUT/build-broken.out ]] && pass "build-broken stdout empty" || fail "build-broken: stdout $(head -3 "$OUT/build-broken.out")"
tmp_gone build-broken
printf 'int main(void) { return undeclared; }\n' >"$OUT/broken.c"
TMPDIR=$TMPD run_trace build-broken-c -- trace "$OUT/broken.c" 'main'
expect_rc build-broken-c 4
grep -q "broken.c:1:.*undeclared" "$OUT/build-broken-c.err" && tail -1 "$OUT/build-broken-c.err" | grep -q "^tinydbg: could not build .*broken.c: cc exited with status" &&
	pass "build-broken-c messages" || fail "build-broken-c: $(cat "$OUT/build-broken-c.err")"
tmp_gone build-broken-c

# A package without main, a -t package without tests: no program, said so.
(cd "$APP" && run_trace build-nomain -- trace ./calc 'Mul'; exit $RC)
RC=$?
expect_rc build-nomain 4
expect_err_line build-nomain '^tinydbg: could not build \./calc: not a main package'

# No toolchain: one line. PATH holds only timeout (run_trace's).
mkdir -p "$OUT/nogo-path"
ln -sf "$(command -v timeout)" "$OUT/nogo-path/timeout"
PATH=$OUT/nogo-path run_trace build-nogo -- trace "$APP" 'main'
expect_rc build-nogo 4
expect_err_line build-nogo '^tinydbg: could not build .*app: go not found in PATH$'
PATH=$OUT/nogo-path run_trace build-nocc -- trace "$FIX/c/values.c" 'add'
expect_rc build-nocc 4
expect_err_line build-nocc '^tinydbg: could not build .*values.c: cc not found in PATH$'

# SIGTERM while the target runs: it ends, tinydbg exits 143, binary gone.
fresh_tmp sigterm
(cd "$APP" && TMPDIR=$TMPD exec "$TINYDBG" trace --seq-ids . 'main\.add$' -- 1000) >"$OUT/build-sigterm.out" 2>"$OUT/build-sigterm.err" &
tpid=$!
for _ in $(seq 100); do
	grep -q 'main\.add(1, 2)' "$OUT/build-sigterm.err" && break
	sleep 0.1
done
kill -TERM $tpid
wait $tpid
RC=$?
expect_rc build-sigterm 143
grep -q 'main\.add(1, 2)' "$OUT/build-sigterm.err" && pass "build-sigterm traced" || fail "build-sigterm: $(head -3 "$OUT/build-sigterm.err")"
tmp_gone build-sigterm

# SIGTERM while building: the build (a stand-in go that hangs, and its
# children) is stopped; exit 143, nothing left.
mkdir -p "$OUT/slowgo-path"
printf '#!/bin/sh\nsleep 31.7\necho done\n' >"$OUT/slowgo-path/go"
chmod +x "$OUT/slowgo-path/go"
fresh_tmp sigbuild
(cd "$APP" && TMPDIR=$TMPD PATH=$OUT/slowgo-path:$PATH exec "$TINYDBG" trace . 'main') >"$OUT/build-sigbuild.out" 2>"$OUT/build-sigbuild.err" &
tpid=$!
sleep 0.5
kill -TERM $tpid
wait $tpid
RC=$?
expect_rc build-sigbuild 143
tmp_gone build-sigbuild
no_stray build-sigbuild "sleep 31.7"

# Usage errors: one line, exit 2.
bin=$(build "$FIX/c/nap.c" gcc:-O0:pie)
run_trace build-e-pkg -- trace -e "$bin" "$APP" quick
expect_rc build-e-pkg 2
expect_err_line build-e-pkg '^tinydbg: with -e, trace takes one regexp, not a package'
run_trace build-p-pkg -- trace -p 1 "$APP" quick
expect_rc build-p-pkg 2
expect_err_line build-p-pkg '^tinydbg: with -p, trace takes one regexp, not a package'
run_trace build-t-e -- trace -t -e "$bin" quick
expect_rc build-t-e 2
expect_err_line build-t-e '^tinydbg: -t/--test is for building a package; it cannot be used with -e$'
run_trace build-o-p -- trace -p 1 --output x quick
expect_rc build-o-p 2
expect_err_line build-o-p '^tinydbg: -o/--output is for building a package; it cannot be used with -p$'
run_trace build-flags-e -- trace -e "$bin" --build-flags=-race quick
expect_rc build-flags-e 2
expect_err_line build-flags-e '^tinydbg: --build-flags is for building a package; it cannot be used with -e$'
run_trace build-three -- trace "$APP" quick nap
expect_rc build-three 2
expect_err_line build-three 'a package and a regexp at most \(got "nap" too\)'
run_trace build-quote -- trace --build-flags "-ldflags='-s" "$APP" quick
expect_rc build-quote 2
expect_err_line build-quote "^tinydbg: invalid --build-flags: unclosed ' "
run_trace build-t-c -- trace -t "$FIX/c/values.c" add
expect_rc build-t-c 2
expect_err_line build-t-c 'values.c" is a C source file'
mkdir -p "$OUT/no-go-here"
(cd "$OUT/no-go-here" && run_trace build-nogofiles -- trace 'main'; exit $RC)
RC=$?
expect_rc build-nogofiles 2
expect_err_line build-nogofiles 'needs a target: -e BIN or -p PID, or a package to build \(no \.go file'

run_trace build-help -- help trace
grep -q -- '--build-flags' "$OUT/build-help.out" && grep -q -- '-t, --test' "$OUT/build-help.out" &&
	grep -q -- '-o, --output' "$OUT/build-help.out" && grep -q 'tinydbg trace \[package\] regexp' "$OUT/build-help.out" &&
	pass "build help text" || fail "build help text"
