# The in-process engine's own cases (the whole suite also runs under it:
# ENGINES in tests/run.sh). A function too short for a jump, and one whose
# loop jumps back into the bytes a jump would replace, take breakpoints and
# print the same; the engine says so once. A leaf's returns come through
# its rewritten return address, an outer function's through breakpoints.
# A full ring loses events, counted exactly.

inproc_want() {
	cat <<'W'
> thread(1): nothing()
>> thread(1): nothing => ()
> thread(1): looped(3)
>> thread(1): looped => (10)
> thread(1): outer(1)
> thread(1): leaf(2)
>> thread(1): leaf => (4)
>> thread(1): outer => (5)
> thread(1): leaf(0)
>> thread(1): leaf => (0)
> thread(1): leaf(1)
>> thread(1): leaf => (2)
Process 1 has exited with status 0
W
}
inproc_want >"$OUT/inproc.want"
# gcc only: clang gives a naked function no parameters in DWARF.
for v in gcc:-O0:pie gcc:-O2:pie gcc:-O2:nopie gcc:-O2:cet; do
	bin=$(build "$FIX/c/inproc.c" "$v") || { fail "inproc: build $v"; continue; }
	run_trace "inproc-$v" -- trace --engine inproc --seq-ids -e "$bin" '^(nothing|looped|leaf|outer)$' -- 2
	expect_rc "inproc-$v" 0
	expect_same "inproc-$v" "$OUT/inproc.want"
done

# The note, once: nothing() and looped() are not patched at -O2, nor
# their ret sites (a one-byte function; a ret after a jump); outer()'s is.
bin=$(build "$FIX/c/inproc.c" gcc:-O2:pie)
TINYDBG_ENGINE_NOTES=1 run_trace inproc-note -- trace --engine inproc --seq-ids -e "$bin" '^(nothing|looped|leaf|outer)$' -- 2
{ echo 'tinydbg: note: inproc: 2 of 4 functions could not be patched with a jump (too short, jumped into, or a value that needs a stop); their calls stop at breakpoints; 2 of 3 ret sites could not be patched (too short a tail, jumped into, or a switch'"'"'s table unread): their returns stop at breakpoints'; cat "$OUT/inproc.want"; } >"$OUT/inproc-note.want"
expect_same inproc-note "$OUT/inproc-note.want"

# A ring of 4 KiB and 100000 calls: what is printed plus what is reported
# lost is every event, and the total line agrees.
run_trace inproc-lost -- trace --engine inproc --ebpf-ring 4 --seq-ids -e "$bin" '^leaf$' -- 100000
expect_rc inproc-lost 0
counts=$(awk '/^> thread/ { e++ } /^>> thread/ { r++ }
	/^tinydbg: lost [0-9]+ events$/ { l += $3 }
	/^tinydbg: lost [0-9]+ events in all/ { t = $3 }
	END { printf "%d %d %d %d", e, r, l, t }' "$OUT/inproc-lost.err")
read -r e r l t <<<"$counts"
# outer's call of leaf adds one entry and one return.
if ((e + r + l == 200002 && l == t && l > 0)); then
	pass "inproc-lost: $e entries + $r returns printed + $l lost = 200002 (total line $t)"
else
	fail "inproc-lost: $e entries + $r returns + $l lost != 200002, or total $t != $l"
fi
# With the default ring (32 MiB), which holds all 10002 records however
# slow the reader: none lost, no false alarm.
run_trace inproc-nolost -- trace --engine inproc --seq-ids -e "$bin" '^leaf$' -- 5000
if ! grep -q 'lost' "$OUT/inproc-nolost.err" && [[ $(grep -c '^>' "$OUT/inproc-nolost.err") == 10002 ]]; then
	pass "inproc-nolost: 10002 events, no loss reported"
else
	fail "inproc-nolost: $(grep -c '^>' "$OUT/inproc-nolost.err") events, $(grep -c lost "$OUT/inproc-nolost.err") loss lines"
fi

# Attached: patched while it runs, Ctrl-C, and its code is the file's
# again, its memory maps kept (the trampolines stay: a thread may still
# return through one), and it runs on.
cc -O2 -o "$OUT/textcmp" "$ROOT/tests/tools/textcmp.c" || fail "build textcmp"
abin=$(build "$FIX/c/threads.c" gcc:-O2:pie)
"$abin" 100000 >/dev/null &
target=$!
sleep 0.3
timeout -k 5 30 "$TINYDBG" trace --engine inproc -p $target '^work$' >"$OUT/inproc-attach.out" 2>"$OUT/inproc-attach.err" &
tpid=$!
sleep 0.5
kill -INT $tpid
wait $tpid
RC=$?
expect_rc inproc-attach 130
grep -Eq '^>> thread\([0-9]+\): work => \([0-9]+\)$' "$OUT/inproc-attach.err" && pass "inproc-attach traced" ||
	fail "inproc-attach: $(head -3 "$OUT/inproc-attach.err")"
"$OUT/textcmp" $target >"$OUT/inproc-attach.cmp" && pass "inproc-attach code restored" ||
	fail "inproc-attach: code differs: $(head -3 "$OUT/inproc-attach.cmp")"
grep -q 'tinydbg-code' /proc/$target/maps && pass "inproc-attach trampolines stay mapped" ||
	fail "inproc-attach: no tinydbg-code mapping left"
sleep 0.3
kill -0 $target 2>/dev/null && pass "inproc-attach target runs on" || fail "inproc-attach: target died"
kill $target 2>/dev/null
wait $target 2>/dev/null

# tinydbg killed outright while a hot function runs through its
# trampoline on four threads: the target is not killed with it, runs on
# through the jumps (they need no tinydbg), and the guardian puts its code
# back; the trampolines stay mapped.
"$abin" 8000 >"$OUT/inproc-kill9.out" &
target=$!
sleep 0.3
"$TINYDBG" trace --engine inproc -p $target '^work$' >/dev/null 2>"$OUT/inproc-kill9.err" &
tpid=$!
for _ in $(seq 100); do grep -q '^>' "$OUT/inproc-kill9.err" 2>/dev/null && break; sleep 0.05; done
kill9_restored inproc-kill9 $tpid $target
grep -q 'tinydbg-code' /proc/$target/maps 2>/dev/null && pass "inproc-kill9: trampolines stay mapped" ||
	fail "inproc-kill9: no tinydbg-code mapping (target $(kill -0 $target 2>/dev/null && echo alive || echo gone))"
wait $target
RC=$?
expect_rc inproc-kill9-target 0
[[ $(cat "$OUT/inproc-kill9.out") == ok ]] && pass "inproc-kill9: the target finished its work" ||
	fail "inproc-kill9: target printed '$(cat "$OUT/inproc-kill9.out")'"

# Go: entries and ret sites patched too (the agent runs on a stack of its
# own, found through g's m), the same lines as ptrace prints, recursion,
# defers, a recovered panic and method wrappers included: every one
# patched (no note).
if command -v go >/dev/null; then
	gflow=$OUT/inproc-flow
	if [[ ! -x $gflow || -n $(find "$FIX/go/flow" -newer "$gflow" -name '*.go') ]]; then
		(cd "$FIX/go/flow" && GOFLAGS='' GOPROXY=off go build -gcflags='all=-N -l' -o "$gflow" .) >"$gflow.log" 2>&1 ||
			fail "inproc-go: go build: $(tail -3 "$gflow.log")"
	fi
	gre='^main\.(fact|deferred|deferred\.func1|recovers|recovers\.func1|parse|\(\*Counter\)\.Add|Counter\.Get|area|Rect\.Area|\(\*Rect\)\.Area|tick)$'
	TINYDBG_ENGINE_NOTES=1 run_trace inproc-go -- trace --engine inproc -e "$gflow" "$gre" -- seq
	expect_rc inproc-go 0
	run_trace inproc-go-pt -- trace --engine ptrace -e "$gflow" "$gre" -- seq
	# Heap addresses differ from run to run.
	gmask() { sed -E -e 's/^Process [0-9]+ /Process PID /' -e 's/0xc000[0-9a-f]*/0xc000ADDR/g' "$1"; }
	gmask "$OUT/inproc-go-pt.err" >"$OUT/inproc-go.want"
	gmask "$OUT/inproc-go.err" >"$OUT/inproc-go.masked"
	cp "$OUT/inproc-go.masked" "$OUT/inproc-go.err"
	expect_same inproc-go "$OUT/inproc-go.want"
	# Four goroutines on two threads: every call and return, in order
	# per goroutine.
	run_trace inproc-gor -- trace --engine inproc -e "$gflow" '^main\.work$' -- go 300
	n=$(grep -cE '^>>? goroutine\([0-9]+\): main\.work' "$OUT/inproc-gor.err")
	[[ $n == 2400 ]] && pass "inproc-gor: 2400 events" || fail "inproc-gor: $n events, want 2400"
fi

# A library loaded during the run (dlopen, twice): its functions are
# patched at the loader's rendezvous where they can be; plug_add here is
# too short for a jump, which a note says at each load (proving the
# rendezvous placed them), and the calls print as under ptrace.
printf 'int plug_add(int a, int b) { return a + b; }\n' >"$OUT/inproc-tiny.c"
cc -g -O2 -fPIC -shared -o "$OUT/libinproc-tiny.so" "$OUT/inproc-tiny.c" || fail "build libinproc-tiny.so"
dlb=$(build "$FIX/c/dl.c" gcc:-O0:pie -ldl) || fail "build dl"
TINYDBG_ENGINE_NOTES=1 run_trace inproc-late -- trace --engine inproc --seq-ids -e "$dlb" '^(use|plug_add)$' -- "$OUT/libinproc-tiny.so"
expect_rc inproc-late 0
run_trace inproc-late-pt -- trace --engine ptrace --seq-ids -e "$dlb" '^(use|plug_add)$' -- "$OUT/libinproc-tiny.so"
n=$(grep -c '^tinydbg: note: inproc: 2 entries or ret sites inserted during the run could not be patched with a jump; they stop at breakpoints$' "$OUT/inproc-late.err")
[[ $n == 2 ]] && pass "inproc-late: the note at each load" || fail "inproc-late: $n notes, want 2"
grep -v '^tinydbg: note' "$OUT/inproc-late.err" >"$OUT/inproc-late.got"
diff -u "$OUT/inproc-late-pt.err" "$OUT/inproc-late.got" >"$OUT/inproc-late.diff" && pass "inproc-late: the same lines as ptrace" ||
	{ fail "inproc-late:"; head -20 "$OUT/inproc-late.diff" >&2; }
