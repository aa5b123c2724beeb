# -s/--stack N: each entry and return event carries frames 0..N of its
# thread or goroutine, unwound with DWARF call frame information (C at -O2
# without frame pointers, Go, and through a signal handler's frame), and
# printed as Delve prints them: a Go trace reads the same under dlv trace,
# line for line, apart from the return lines' function names (see go.sh).
UFIX=$FIX/unwind

# C: main -> top -> mid -> leaf, and main -> raiser -> raise -> handler ->
# leaf; gcc and clang at -O2 omit frame pointers.
for v in gcc:-O2:pie clang:-O2:pie gcc:-O0:nopie; do
	bin=$(build "$UFIX/stack.c" "$v") || { fail "stack: build $v"; continue; }
	run_trace "stack-plain-$v" -- trace --seq-ids -e "$bin" '^leaf$' -s 4 -- plain 1
	expect_rc "stack-plain-$v" 0
	frames=$(awk '/^\t\t[0-9]+  0x/ { print $4 }' "$OUT/stack-plain-$v.err" | head -4 | tr '\n' ' ')
	[[ $frames == "leaf mid top main " ]] && pass "stack-plain-$v: leaf mid top main" ||
		fail "stack-plain-$v: frames $frames"
	grep -Eq $'^\t\t     at .*/stack.c:[0-9]+$' "$OUT/stack-plain-$v.err" &&
		pass "stack-plain-$v: file:line" || fail "stack-plain-$v: no file:line"
	# One stack per event: the entry's and the return's.
	[[ $(grep -c $'^\tStack:$' "$OUT/stack-plain-$v.err") == 2 ]] &&
		pass "stack-plain-$v: once per event" || fail "stack-plain-$v: $(grep -c Stack: "$OUT/stack-plain-$v.err") stacks"

	run_trace "stack-signal-$v" -- trace --seq-ids -e "$bin" '^leaf$' -s 12 -- raise
	expect_rc "stack-signal-$v" 0
	frames=$(awk '/^> /{n++} n == 1 && /^\t\t[0-9]+  0x/ { print $4 }' "$OUT/stack-signal-$v.err" | tr '\n' ' ')
	if [[ $frames =~ ^leaf\ handler\ .*raiser\ main\  ]]; then
		pass "stack-signal-$v: through the signal frame into raiser and main"
	else
		fail "stack-signal-$v: frames $frames"
	fi
done

# Go, against Delve: recursion, frames 0..3, "(truncated)" where the stack
# goes on, the blank line Delve leaves after an entry.
if command -v go >/dev/null && command -v dlv >/dev/null; then
	gbin=$OUT/flow
	if [[ ! -x $gbin ]] || [[ -n $(find "$FIX/go/flow" -newer "$gbin" -name '*.go') ]]; then
		(cd "$FIX/go/flow" && go build -gcflags='all=-N -l' -o "$gbin" .) >"$OUT/flow.log" 2>&1 ||
			fail "stack: go build flow: $(cat "$OUT/flow.log")"
	fi
	run_trace stack-go -- trace -e "$gbin" '^main\.fact$' -s 3 -- seq
	expect_rc stack-go 0
	timeout -k 5 120 dlv trace --exec "$gbin" '^main\.fact$' --stack 3 -- seq \
		>/dev/null 2>"$OUT/stack-go.dlv" </dev/null
	sed -e 's/^\(>> goroutine([0-9]*): \)[^ ]* => /\1=> /' \
	    -e 's/^Process [0-9]* has exited/Process PID has exited/' "$OUT/stack-go.err" >"$OUT/stack-go.ours"
	sed -e 's/^Process [0-9]* has exited/Process PID has exited/' "$OUT/stack-go.dlv" >"$OUT/stack-go.theirs"
	if diff -u "$OUT/stack-go.theirs" "$OUT/stack-go.ours" >"$OUT/stack-go.diff"; then
		pass "stack-go: as Delve prints it"
	else
		fail "stack-go: differs from Delve:"
		head -20 "$OUT/stack-go.diff" >&2
	fi
else
	fail "stack-go: go and dlv are needed (scripts/install-deps.sh)"
fi

# Bad depths are usage errors.
for bad in -1 x 1001; do
	run_trace "stack-bad$bad" -- trace -e /bin/true '^main$' -s "$bad"
	expect_rc "stack-bad$bad" 2
	expect_err_line "stack-bad$bad" '^tinydbg: invalid --stack'
done
