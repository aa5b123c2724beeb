# --stack, frame by frame as gdb and Delve show them:
# - calls inlined at a frame's pc are frames of their own (innermost first,
#   each outer one at the line of the inlined call it holds), numbered and
#   counted in the depth like the others, with the pc of their real frame;
# - Delve's blank line after an entry's line comes only for a function with
#   results, and only at -v 0 (where Delve's printTracepoint knows).
UFIX=$FIX/unwind
SRC=$UFIX/inlined.c

# The text with each pc as PC, the path cut to the file's name, and the
# line of frame 0 as LINE (-O0 enters at the line of the "{", the
# compilers place the ret on different lines).
stackfmt_norm() {
	sed -E -e 's/0x[0-9a-f]{16}/PC/' -e 's|at .*/inlined\.c:|at inlined.c:|' "$1" |
		awk '/^>/{r=1} r && /^\t\t     at /{sub(/:[0-9]+$/, ":LINE"); r=0} {print}'
}

# stackfmt_case NAME EXPECTED: the last run's stderr, normalised, equals
# tests/trace/EXPECTED.
stackfmt_case() {
	stackfmt_norm "$OUT/$1.err" >"$OUT/$1.norm"
	if diff -u "$ROOT/tests/trace/$2" "$OUT/$1.norm" >"$OUT/$1.diff"; then
		pass "$1"
	else
		fail "$1: output differs from $2:"
		head -30 "$OUT/$1.diff" >&2
	fi
}

# The pcs of the first event's frames, in order.
stackfmt_pcs() {
	awk '/^\tStack:/{n++} n == 1 && /^\t\t[0-9]+  0x/ { print $2 }' "$1" | tr '\n' ' '
}

# -O0 too: always_inline inlines there as well.
for v in gcc:-O2:pie clang:-O2:pie gcc:-O0:nopie clang:-O0:pie gcc:-O2:nopie; do
	bin=$(build "$SRC" "$v") || { fail "stackfmt: build $v"; continue; }

	# main -> outer -> [wrap -> helper] -> leaf: five frames.
	run_trace "stack-inlined-$v" -- trace --seq-ids -e "$bin" '^leaf$' -s 4
	expect_rc "stack-inlined-$v" 0
	stackfmt_case "stack-inlined-$v" stack-inlined.expected
	# helper, wrap and outer are one real frame: one pc, the return
	# address into outer, as gdb shows it.
	read -r p0 p1 p2 p3 p4 _ <<<"$(stackfmt_pcs "$OUT/stack-inlined-$v.err")"
	if [[ -n $p4 && $p1 == "$p2" && $p2 == "$p3" && $p0 != "$p1" && $p3 != "$p4" ]]; then
		pass "stack-inlined-$v: inlined frames share their real frame's pc"
	else
		fail "stack-inlined-$v: pcs $p0 $p1 $p2 $p3 $p4"
	fi

	# The depth counts frames, inlined ones included: -s 2 is leaf,
	# helper, wrap, and the stack goes on.
	run_trace "stack-inlined-depth-$v" -- trace --seq-ids -e "$bin" '^leaf$' -s 2
	expect_rc "stack-inlined-depth-$v" 0
	stackfmt_case "stack-inlined-depth-$v" stack-inlined-depth.expected

	# No result: no blank line after the entry (C).
	run_trace "stack-void-$v" -- trace --seq-ids -e "$bin" '^note$' -s 1
	expect_rc "stack-void-$v" 0
	stackfmt_case "stack-void-$v" stack-void.expected

	# -v 2: Delve leaves no blank line at all.
	run_trace "stack-verbose-$v" -- trace --seq-ids -e "$bin" '^leaf$' -s 1 -v 2
	expect_rc "stack-verbose-$v" 0
	stackfmt_case "stack-verbose-$v" stack-verbose.expected
done

# gdb's bt at leaf names the same frames at the same lines.
if command -v gdb >/dev/null; then
	for v in gcc:-O2:pie clang:-O2:pie; do
		bin=$(build "$SRC" "$v") || continue
		timeout -k 5 60 gdb -nx -batch -ex 'break leaf' -ex run -ex bt "$bin" \
			</dev/null 2>&1 | sed -nE 's/^#[0-9]+ +(0x[0-9a-f]+ in )?([A-Za-z_]+) .* at .*:([0-9]+)$/\2:\3/p' |
			head -5 | tr '\n' ' ' >"$OUT/stack-gdb-$v.gdb"
		awk '/^\tStack:/{n++} n == 1 && /^\t\t[0-9]+  0x/ { f = $4 }
		     n == 1 && /^\t\t     at / { sub(/.*:/, ""); print f ":" $0 }' \
			"$OUT/stack-inlined-$v.err" | tr '\n' ' ' >"$OUT/stack-gdb-$v.ours"
		if [[ -s $OUT/stack-gdb-$v.gdb ]] && cmp -s "$OUT/stack-gdb-$v.gdb" "$OUT/stack-gdb-$v.ours"; then
			pass "stack-gdb-$v: the frames of gdb's bt"
		else
			fail "stack-gdb-$v: gdb '$(cat "$OUT/stack-gdb-$v.gdb")', ours '$(cat "$OUT/stack-gdb-$v.ours")'"
		fi
	done
else
	fail "stack-gdb: gdb is needed (scripts/install-deps.sh)"
fi

# Go, against Delve: main.work has a result, main.worker none. The entry
# line of each is followed by a blank line or by "\tStack:" as under dlv
# trace (which prints a stack twice after an entry without results: we
# print it once, see stack.sh).
if command -v go >/dev/null && command -v dlv >/dev/null; then
	gbin=$OUT/flow
	if [[ ! -x $gbin ]] || [[ -n $(find "$FIX/go/flow" -newer "$gbin" -name '*.go') ]]; then
		(cd "$FIX/go/flow" && go build -gcflags='all=-N -l' -o "$gbin" .) >"$OUT/flow.log" 2>&1 ||
			fail "stackfmt: go build flow: $(cat "$OUT/flow.log")"
	fi
	# After each entry line: the function and what the next line is.
	stackfmt_after() {
		awk '/^> goroutine/ { fn = $3; sub(/\(.*/, "", fn); getline nx;
		     print fn, (nx == "" ? "blank" : nx == "\tStack:" ? "stack" : "other") }' "$1" | sort -u | tr '\n' ';'
	}
	run_trace stack-go-results -- trace -e "$gbin" '^main\.(worker|work)$' -s 2 -- go 1
	expect_rc stack-go-results 0
	timeout -k 5 120 dlv trace --exec "$gbin" '^main\.(worker|work)$' --stack 2 -- go 1 \
		>/dev/null 2>"$OUT/stack-go-results.dlv" </dev/null
	ours=$(stackfmt_after "$OUT/stack-go-results.err")
	theirs=$(stackfmt_after "$OUT/stack-go-results.dlv")
	if [[ $ours == "main.work blank;main.worker stack;" && $ours == "$theirs" ]]; then
		pass "stack-go-results: blank lines as Delve's ($ours)"
	else
		fail "stack-go-results: ours '$ours', Delve's '$theirs'"
	fi
else
	fail "stack-go-results: go and dlv are needed (scripts/install-deps.sh)"
fi

# Go, built with inlining (no -gcflags): main.helper is inlined into
# main.outer; the stacks read as under dlv trace, but for the return
# lines (Debian's Delve 1.20 names no function there and cannot read the
# result of an optimized function).
if command -v go >/dev/null && command -v dlv >/dev/null; then
	ibin=$OUT/goinlined
	if [[ ! -x $ibin ]] || [[ -n $(find "$FIX/go/inlined" -newer "$ibin" -name '*.go') ]]; then
		(cd "$FIX/go/inlined" && go build -o "$ibin" .) >"$OUT/goinlined.log" 2>&1 ||
			fail "stackfmt: go build inlined: $(cat "$OUT/goinlined.log")"
	fi
	run_trace stack-go-inlined -- trace -e "$ibin" '^main\.leaf$' -s 3
	expect_rc stack-go-inlined 0
	timeout -k 5 120 dlv trace --exec "$ibin" '^main\.leaf$' --stack 3 \
		>/dev/null 2>"$OUT/stack-go-inlined.dlv" </dev/null
	for f in err dlv; do
		sed -e 's/^\(>> goroutine([0-9]*): \).*=> .*/\1=> .../' \
		    -e 's/^Process [0-9]* has exited/Process PID has exited/' \
			"$OUT/stack-go-inlined.$f" >"$OUT/stack-go-inlined.$f.norm"
	done
	frames=$(awk '/^\tStack:/{n++} n == 1 && /^\t\t[0-9]+  0x/ { print $4 }' "$OUT/stack-go-inlined.err" | tr '\n' ' ')
	if [[ $frames == "main.leaf main.helper main.outer main.main " ]] &&
		diff -u "$OUT/stack-go-inlined.dlv.norm" "$OUT/stack-go-inlined.err.norm" >"$OUT/stack-go-inlined.diff"; then
		pass "stack-go-inlined: as Delve prints it ($frames)"
	else
		fail "stack-go-inlined: frames '$frames'; against Delve:"
		head -20 "$OUT/stack-go-inlined.diff" >&2
	fi
else
	fail "stack-go-inlined: go and dlv are needed (scripts/install-deps.sh)"
fi
