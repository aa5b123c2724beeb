# Go generics and results that hold pointers (issue 14, items 6 and 7),
# on tests/fixtures/go/generics built as Delve debugs it (-N -l) and
# optimised, compared line by line with `dlv trace` on the same binary and
# regexp.
#
# A generic function is compiled per shape (main.Identity[go.shape.int_0])
# with a hidden first parameter, .dict, its instantiation's dictionary:
# not shown, and the type parameters (DWARF's typedefs .param0...) are
# printed as the concrete types the dictionary names ([]int,
# main.Pair[string,int]), as Delve does; where the dictionary cannot be
# read (optimised code: Go 1.19 leaves .dict out of its DWARF), as their
# shapes ([]go.shape.int_0), as Delve does.
#
# -N -l results are read where Delve reads them, in their frame slots at
# the ret: a struct one level down shows its real address
# ((*main.PtrInt)(0xc000...)), not a made-up 0xbeef... one.
#
# The differences from Delve we chose, in gen.delve-diff (see README.md,
# "Go values"): a func passed in registers is named where Delve says
# "(unreadable read out of bounds)", an interface argument passed in
# registers shows the pointer it holds, not Delve's made-up 0xbeef...;
# and element lists (turned back into Delve's [...] here, checked whole
# against tests/trace/gogen*.expected). Optimised results: Delve 1.20
# prints "(unreadable empty OP stack)" (or no return at all), we print
# them, type parameters as their shapes.
GGFIX=$FIX/go/generics
GGRE='^main\.(Identity|Map|MakePair|MakeMap|Wrap|Deref|First|Keys|Swap|\(\*Box\[.*\]\)\.Get|Box\[.*\]\.Put|Pair\[.*\]\.Flip|ret[A-Z])'

# gg_build NAME FLAGS...: the fixture built into $OUT/NAME.
gg_build() {
	local bin=$OUT/$1; shift
	if [[ ! -x $bin ]] || [[ -n $(find "$GGFIX" -newer "$bin" -name '*.go') ]]; then
		(cd "$GGFIX" && go build "$@" -o "$bin" .) >"$bin.log" 2>&1 ||
			{ echo "cannot build $GGFIX: $(cat "$bin.log")" >&2; return 1; }
	fi
	echo "$bin"
}

# gg_mask FILE: heap and stack addresses masked (Delve's target starts with
# another environment: its stacks land elsewhere), the pid dropped.
gg_mask() {
	sed -E -e 's/0xc[0-9a-f]{8,}/0xc000ADDR/g' \
		-e 's/^Process [0-9]+ has exited/Process PID has exited/' "$1"
}

# gg_as_delve FILE: our lines as Delve 1.20 prints them: return lines
# without the function's name (which may hold spaces: an interface
# shape's), element lists as [...].
gg_as_delve() {
	gg_mask "$1" | perl -pe 's/^(>> goroutine\(\d+\): ).*? => \(/$1=> (/' |
		awk -f "$ROOT/tests/tools/delve-elems.awk"
}

# gg_ptrs NAME: each result holding *main.In2 pointers holds those its
# call was given, in their order (the masked expected output cannot
# tell).
gg_ptrs() {
	local f bad=
	for f in retPtr retPtrInt retTwoPtr retStrPtr retPair; do
		local in out
		in=$(grep -m1 "^> goroutine([0-9]*): main\.$f(" "$OUT/$1.err" |
			grep -oE '\(\*main\.In2\)\(0x[0-9a-f]+\)' | tr '\n' ' ')
		out=$(grep -m1 "^>> goroutine([0-9]*): main\.$f => " "$OUT/$1.err" |
			grep -oE '\(\*main\.In2\)\(0x[0-9a-f]+\)' | tr '\n' ' ')
		[[ $f == retPair ]] && in="$in$in"
		[[ -n $in && $in == "$out" ]] || bad="$bad $f: ($in) => ($out);"
	done
	[[ -z $bad ]] && pass "$1: results hold the pointers given" ||
		fail "$1: results' pointers:$bad"
}

gg_run() {
	command -v go >/dev/null || { fail "go: not installed (scripts/install-deps.sh)"; return; }
	command -v dlv >/dev/null || { fail "dlv: not installed (scripts/install-deps.sh)"; return; }
	local bin opt
	bin=$(gg_build gogen -gcflags='all=-N -l') || { fail "gogen: go build"; return; }
	opt=$(gg_build gogen-opt) || { fail "gogen-opt: go build"; return; }

	# -N -l: what we print, whole, and as Delve prints it.
	run_trace gogen -- trace -e "$bin" "$GGRE"
	expect_rc gogen 0
	grep -qx done "$OUT/gogen.out" && pass "gogen: program output" ||
		fail "gogen: program output lost: $(cat "$OUT/gogen.out")"
	gg_mask "$OUT/gogen.err" >"$OUT/gogen.got"
	if diff -u "$ROOT/tests/trace/gogen.expected" "$OUT/gogen.got" >"$OUT/gogen.diff"; then
		pass "gogen: -N -l, as tests/trace/gogen.expected"
	else
		fail "gogen: not as tests/trace/gogen.expected:"
		head -30 "$OUT/gogen.diff" >&2
	fi
	timeout -k 5 120 dlv trace --exec "$bin" "$GGRE" >"$OUT/gogen.dlv.out" \
		2>"$OUT/gogen.dlv" </dev/null
	gg_as_delve "$OUT/gogen.err" >"$OUT/gogen.ours"
	gg_mask "$OUT/gogen.dlv" >"$OUT/gogen.theirs"
	if [[ $(grep -c '^>' "$OUT/gogen.theirs") -lt 50 ]]; then
		fail "gogen: dlv printed $(grep -c '^>' "$OUT/gogen.theirs") events, want 50"
		head -5 "$OUT/gogen.dlv" >&2
	else
		diff "$OUT/gogen.ours" "$OUT/gogen.theirs" >"$OUT/gogen.delta"
		if diff -u "$GGFIX/gen.delve-diff" "$OUT/gogen.delta" >"$OUT/gogen.ddiff"; then
			pass "gogen: -N -l, as Delve prints it"
		else
			fail "gogen: differs from Delve beyond gen.delve-diff:"
			head -30 "$OUT/gogen.ddiff" >&2
		fi
	fi
	# The defects themselves: no dictionary, no .paramN, no made-up
	# address in a result.
	grep -qxF '> goroutine(1): main.Identity[go.shape.int_0](42)' "$OUT/gogen.err" &&
		pass "gogen: the dictionary hidden" ||
		fail "gogen: Identity: $(grep -m1 'Identity\[go.shape.int_0\](' "$OUT/gogen.err")"
	! grep -qE '\.param[0-9]|\.dict' "$OUT/gogen.err" &&
		pass "gogen: type parameters by their types" ||
		fail "gogen: $(grep -m1 -E '\.param[0-9]|\.dict' "$OUT/gogen.err")"
	grep -qE '^>> goroutine\(1\): main\.retOuter => \(main\.Outer \{Inner: \(\*main\.PtrInt\)\(0xc[0-9a-f]{9}\), S: "out"\}\)$' \
		"$OUT/gogen.err" && ! grep -q '^>>.*0xbeef' "$OUT/gogen.err" &&
		pass "gogen: results at their real addresses" ||
		fail "gogen: a made-up address in a result: $(grep -m1 '^>>.*0xbeef' "$OUT/gogen.err")"
	gg_ptrs gogen
	# -v 1 names each argument with its type: the type parameters' too.
	run_trace gogen-v1 -- trace -v 1 -e "$bin" '^main\.(Map|MakePair)\['
	cat >"$OUT/gogen-v1.want" <<'WANT'
> goroutine(1): main.Map[go.shape.int_0,go.shape.string_1](s: <[]int>, f: <func(int) string>)
>> goroutine(1): main.Map[go.shape.int_0,go.shape.string_1] => (<[]string>)
> goroutine(1): main.Map[go.shape.string_0,go.shape.int_1](s: <[]string>, f: <func(string) int>)
>> goroutine(1): main.Map[go.shape.string_0,go.shape.int_1] => (<[]int>)
> goroutine(1): main.MakePair[go.shape.string_0,go.shape.int_1](k: <string>, v: <int>)
>> goroutine(1): main.MakePair[go.shape.string_0,go.shape.int_1] => (<main.Pair[string, int]>)
WANT
	grep -m6 '^>' "$OUT/gogen-v1.err" | diff -u "$OUT/gogen-v1.want" - >"$OUT/gogen-v1.diff" &&
		pass "gogen-v1: type parameters' types" ||
		{ fail "gogen-v1:"; head -20 "$OUT/gogen-v1.diff" >&2; }

	# Optimised: what we print, whole; the entries as Delve prints them;
	# its results, which it cannot read.
	run_trace gogen-opt -- trace -e "$opt" "$GGRE"
	expect_rc gogen-opt 0
	gg_mask "$OUT/gogen-opt.err" >"$OUT/gogen-opt.got"
	if diff -u "$ROOT/tests/trace/gogen-opt.expected" "$OUT/gogen-opt.got" >"$OUT/gogen-opt.diff"; then
		pass "gogen-opt: as tests/trace/gogen-opt.expected"
	else
		fail "gogen-opt: not as tests/trace/gogen-opt.expected:"
		head -30 "$OUT/gogen-opt.diff" >&2
	fi
	timeout -k 5 120 dlv trace --exec "$opt" "$GGRE" >"$OUT/gogen-opt.dlv.out" \
		2>"$OUT/gogen-opt.dlv" </dev/null
	gg_as_delve "$OUT/gogen-opt.err" | grep '^> ' >"$OUT/gogen-opt.ours"
	gg_mask "$OUT/gogen-opt.dlv" | grep '^> ' >"$OUT/gogen-opt.theirs"
	diff "$OUT/gogen-opt.ours" "$OUT/gogen-opt.theirs" >"$OUT/gogen-opt.delta"
	if [[ $(wc -l <"$OUT/gogen-opt.theirs") -ge 25 ]] &&
		diff -u "$GGFIX/gen-opt.delve-diff" "$OUT/gogen-opt.delta" >"$OUT/gogen-opt.ddiff"; then
		pass "gogen-opt: entries as Delve prints them"
	else
		fail "gogen-opt: entries differ from Delve beyond gen-opt.delve-diff:"
		head -30 "$OUT/gogen-opt.ddiff" >&2
	fi
	grep -qxF '>> goroutine(1): => ((unreadable empty OP stack))' "$OUT/gogen-opt.dlv" &&
		pass "gogen-opt: results Delve 1.20 cannot read" ||
		fail "gogen-opt: Delve now reads these results: update this test and README"
	gg_ptrs gogen-opt
}
gg_run
