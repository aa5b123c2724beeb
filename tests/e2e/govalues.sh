# Go values (issue 4): every kind of Go value as an argument, printed as
# `dlv trace` prints it for the same binary and regexp. The entry lines are
# compared; return lines are go.sh's. The differences we chose, each
# checked here and written in README.md ("Go values"):
#   - where Delve prints [...] for the elements of a slice, an array or a
#     map, we print the first 8: turned back into [...] for the comparison
#     with Delve, and checked against tests/trace/govalues.expected, which
#     is what Delve 1.20.2 itself prints when it loads 8 elements (its
#     ShortLoadConfig with MaxArrayValues: 8), but for the next two;
#   - a func passed in registers: Delve reads its closure from the
#     registers' bytes and says "(unreadable read out of bounds)"; we name
#     the function;
#   - a string whose bytes are not UTF-8: Delve counts the U+FFFD its JSON
#     makes of them and may say "...+-2 more"; we do not.
#   - an interface holding a pointer: we print the pointer (where the
#     object is); Delve prints where the interface's data word is stored,
#     which for an interface passed in registers is a made-up address
#     (0xbeef000000000008) — Delve is wrong there.
# Heap and stack addresses (0xc...) are masked: Delve's target starts with
# a different environment, so its stacks land elsewhere.
GVFIX=$FIX/go/values

gv_run() {
	command -v go >/dev/null || { fail "go: not installed (scripts/install-deps.sh)"; return; }
	command -v dlv >/dev/null || { fail "dlv: not installed (scripts/install-deps.sh)"; return; }
	local bin=$OUT/govalues
	if [[ ! -x $bin ]] || [[ -n $(find "$GVFIX" -newer "$bin" -name '*.go') ]]; then
		(cd "$GVFIX" && go build -gcflags='all=-N -l' -o "$bin" .) >"$bin.log" 2>&1 ||
			{ fail "govalues: cannot build: $(cat "$bin.log")"; return; }
	fi

	timeout -k 5 120 dlv trace --exec "$bin" 'main\.v' >"$OUT/govalues.dlv.out" \
		2>"$OUT/govalues.dlv" </dev/null
	run_trace govalues -- trace -e "$bin" 'main\.v'
	expect_rc govalues 0
	grep -qx done "$OUT/govalues.out" && pass "govalues stdout" ||
		fail "govalues: program output lost"

	# The entry lines, without their goroutine (or thread) and with the
	# heap and stack masked.
	gv_entries() {
		sed -n -E '/^> /{s/^> (goroutine|thread)\([0-9]+\): //;s/0xc[0-9a-f]{8,}/0xADDR/g;p}' "$1"
	}
	gv_entries "$OUT/govalues.err" >"$OUT/govalues.ours"
	gv_entries "$OUT/govalues.dlv" >"$OUT/govalues.theirs"
	if [[ $(wc -l <"$OUT/govalues.theirs") -lt 100 ]]; then
		fail "govalues: dlv printed $(wc -l <"$OUT/govalues.theirs") entries, want 100 or more"
		head -5 "$OUT/govalues.dlv" >&2
		return
	fi

	# Our element lists back to Delve's [...]: a bracket outside quotes
	# whose match is followed by what ends a value (a type's brackets are
	# followed by the element type: []int, [3]int, map[K]V).
	awk -f "$ROOT/tests/tools/delve-elems.awk" "$OUT/govalues.ours" >"$OUT/govalues.as-delve"
	diff "$OUT/govalues.as-delve" "$OUT/govalues.theirs" >"$OUT/govalues.delta"
	if diff -u "$ROOT/tests/trace/govalues.delta" "$OUT/govalues.delta" >"$OUT/govalues.diff"; then
		pass "govalues: as Delve prints them"
	else
		fail "govalues: differs from Delve beyond tests/trace/govalues.delta:"
		head -40 "$OUT/govalues.diff" >&2
	fi

	# The elements: all addresses masked but Delve's fake ones, and the
	# big map's pairs (its order is its hash seed's).
	sed -E -e 's/0x(beef[0-9a-f]*)/0xBEEF\1/g;s/0x[0-9a-f]+/0xADDR/g;s/0xBEEF/0x/g' \
		-e '/^main\.vbigmap\(/s/\[([0-9]+: [0-9]+, ){8},\.\.\.\+12 more\]/[8 PAIRS,...+12 more]/' \
		"$OUT/govalues.ours" >"$OUT/govalues.elems"
	if diff -u "$ROOT/tests/trace/govalues.expected" "$OUT/govalues.elems" >"$OUT/govalues.ediff"; then
		pass "govalues: elements"
	else
		fail "govalues: not as tests/trace/govalues.expected:"
		head -40 "$OUT/govalues.ediff" >&2
	fi
	# The big map's 8 pairs are 8 of its keys, each with its value.
	if grep '^main\.vbigmap(' "$OUT/govalues.ours" | grep -oE '[0-9]+: [0-9]+' |
		awk -F': ' '$2 != $1 * 10 || $1 >= 20 || seen[$1]++ { bad = 1 } END { exit bad || NR != 8 }'; then
		pass "govalues: a big map's first pairs"
	else
		fail "govalues: a big map's pairs: $(grep '^main\.vbigmap(' "$OUT/govalues.ours")"
	fi
	grep -qxF 'main.vslice([]int len: 3, cap: 3, [1,2,3])' "$OUT/govalues.ours" &&
		grep -qxF 'main.vmap(map[string]int ["a": 1, "b": 2, ])' "$OUT/govalues.ours" &&
		pass "govalues: slice and map elements" ||
		fail "govalues: [1,2,3] or [\"a\": 1, \"b\": 2, ] missing"
}
gv_run
