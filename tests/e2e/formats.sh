# --format json (issue 12 item 4): every line one JSON object, parsed back
# with json-c (tests/tools/jsonlines.c) into the text format's lines: the
# two say the same, for C values (trees with children), threads, signals,
# system calls, Go goroutines, and after Ctrl-C. A bad --format is one line.
JL=$OUT/jsonlines
if [[ ! -x $JL || $ROOT/tests/tools/jsonlines.c -nt $JL ]]; then
	cc -O2 $(pkg-config --cflags json-c) -o "$JL" "$ROOT/tests/tools/jsonlines.c" $(pkg-config --libs json-c) ||
		fail "build jsonlines"
fi
# same_as_text NAME ARGS...: the json run, read back, equals the text run.
same_as_text() {
	local name=$1; shift
	run_trace "$name-text" -- trace --seq-ids "$@"
	run_trace "$name-json" -- trace --seq-ids --format json --trace-output "$OUT/$name.jsonl" "$@"
	if ! "$JL" --check-trees <"$OUT/$name.jsonl" >"$OUT/$name.back" 2>"$OUT/$name.jlerr"; then
		fail "$name: not JSON lines: $(cat "$OUT/$name.jlerr")"
	elif "${MASK:-cat}" "$OUT/$name.back" | diff -u <("${MASK:-cat}" "$OUT/$name-text.err" | grep -v '^tinydbg: warning') - >"$OUT/$name.diff"; then
		pass "$name: json says what text says ($(wc -l <"$OUT/$name.jsonl") lines)"
	else
		fail "$name: json differs from text:"
		head -20 "$OUT/$name.diff" >&2
	fi
}
VALUES_RE=${VALUES_RE:-'^(add|str|pt|mkpt|greet|mkpair|bigsum)$'}
vbin=$(build "$FIX/c/values.c" gcc:-O0:pie) && same_as_text fmt-values -e "$vbin" "$VALUES_RE"
grep -q '"children":\[' "$OUT/fmt-values.jsonl" && pass "fmt-values: structs as trees" ||
	fail "fmt-values: no value has children"
# Two runs of a threaded program interleave differently: the same lines.
# (and number their threads as they come).
sorted() { sed -E 's/thread\([0-9]+\)/thread(N)/' "$1" | sort; }
tbin=$(build "$FIX/c/threads.c" gcc:-O2:pie) && MASK=sorted same_as_text fmt-threads -e "$tbin" '^work$'
# The sender is the tinydbg of each run.
sipid() { sed -E 's/si_pid=[0-9]+/si_pid=PID/' "$1"; }
sbin=$(build "$FIX/c/sigs.c" gcc:-O2:nopie) && MASK=sipid same_as_text fmt-signals --signals -e "$sbin" '^work$'
sc_bin=$OUT/sysfn-static
if [[ ! -x $sc_bin || $FIX/c/sysfn.c -nt $sc_bin ]]; then
	gcc -g -O1 -static -I"$FIX/c" -o "$sc_bin" "$FIX/c/sysfn.c" 2>"$sc_bin.log" || fail "build $sc_bin"
fi
pidmask() { sed -E 's/getpid => \([0-9]+\)/getpid => (PID)/' "$1"; }
MASK=pidmask same_as_text fmt-syscalls --syscalls '^(openat|close|getpid)$' -e "$sc_bin" '^opener$'
if command -v go >/dev/null; then
	gbin=$OUT/fmt-flow
	if [[ ! -x $gbin ]] || [[ -n $(find "$FIX/go/flow" -newer "$gbin" -name '*.go') ]]; then
		(cd "$FIX/go/flow" && go build -gcflags='all=-N -l' -o "$gbin" .) >"$gbin.log" 2>&1 || fail "go build flow"
	fi
	# Heap addresses differ from run to run.
	# Its goroutines run concurrently: the same lines, in any order (the
	# workers, which race on a slice by design, and the closures main runs
	# as goroutines, which may not end before it does, left out).
	heap() { sed -E 's/0xc[0-9a-f]{9}/0xc.../g; s/goroutine\([0-9]+\)/goroutine(N)/' "$1" | sort; }
	MASK=heap same_as_text fmt-go -e "$gbin" '^main\.(?!worker|main\.func)'
	grep -q '"goroutine":1' "$OUT/fmt-go.jsonl" && pass "fmt-go: goroutines" || fail "fmt-go: no goroutine field"
fi

# Ctrl-C mid-run: every line still a JSON object, the end last.
hbin=$(build "$FIX/c/ebpf.c" gcc:-O2:pie)
rm -f "$OUT/fmt-int.jsonl"
"$TINYDBG" trace --seq-ids --format json --trace-output "$OUT/fmt-int.jsonl" -e "$hbin" '^hot$' -- 100000000 2>/dev/null &
tp=$!
for _ in $(seq 100); do [[ -s $OUT/fmt-int.jsonl ]] && break; sleep 0.05; done
sleep 0.2
kill -INT $tp
wait $tp
if "$JL" <"$OUT/fmt-int.jsonl" >"$OUT/fmt-int.back" 2>"$OUT/fmt-int.jlerr" &&
	tail -1 "$OUT/fmt-int.back" | grep -Eq '^Process 1 (was killed by signal SIG(INT|KILL)|has been killed)$'; then
	pass "fmt-int: $(wc -l <"$OUT/fmt-int.jsonl") JSON lines after Ctrl-C, the end last"
else
	fail "fmt-int: $(cat "$OUT/fmt-int.jlerr") last: $(tail -c 200 "$OUT/fmt-int.jsonl")"
fi

run_trace fmt-bad -- trace --format xml -e "$hbin" '^hot$'
expect_rc fmt-bad 2
expect_err_line fmt-bad '^tinydbg: invalid --format "xml": text, json or chrome$'

# --format chrome: one JSON array, slices nested per track, none left
# open, one slice per call, one instant per signal; also after Ctrl-C.
# chrome_check NAME WANT: the file parses, and says WANT.
chrome_check() {
	local name=$1 want=$2 got
	if got=$("$JL" --chrome <"$OUT/$name.json" 2>"$OUT/$name.jlerr") && [[ $got == "$want" ]]; then
		pass "$name: $got"
	else
		fail "$name: got '$got' $(cat "$OUT/$name.jlerr"), want '$want'"
	fi
}
run_trace fmt-chrome-sigs -- trace --seq-ids --signals --format chrome --trace-output "$OUT/fmt-chrome-sigs.json" -e "$sbin" '^work$'
expect_rc fmt-chrome-sigs 0
calls=$(grep -c '^> ' "$OUT/fmt-signals-text.err")
sigs=$(grep -c '^--- ' "$OUT/fmt-signals-text.err")
# Each signal an instant, and the process's end one more.
chrome_check fmt-chrome-sigs "slices $calls instants $((sigs + 1)) tracks 1"
run_trace fmt-chrome-threads -- trace --seq-ids --format chrome --trace-output "$OUT/fmt-chrome-threads.json" -e "$tbin" '^work$'
calls=$(grep -c '^> ' "$OUT/fmt-threads-text.err")
tracks=$(grep -o '^> thread([0-9]*)' "$OUT/fmt-threads-text.err" | sort -u | wc -l)
chrome_check fmt-chrome-threads "slices $calls instants 1 tracks $tracks"
rm -f "$OUT/fmt-chrome-int.json"
"$TINYDBG" trace --seq-ids --format chrome --trace-output "$OUT/fmt-chrome-int.json" -e "$hbin" '^hot$' -- 100000000 2>/dev/null &
tp=$!
for _ in $(seq 100); do [[ -s $OUT/fmt-chrome-int.json ]] && break; sleep 0.05; done
sleep 0.2
kill -INT $tp
wait $tp
if got=$("$JL" --chrome <"$OUT/fmt-chrome-int.json" 2>"$OUT/fmt-chrome-int.jlerr"); then
	pass "fmt-chrome-int: valid and balanced after Ctrl-C: $got"
else
	fail "fmt-chrome-int: $(cat "$OUT/fmt-chrome-int.jlerr"): $(tail -c 200 "$OUT/fmt-chrome-int.json")"
fi

# Attached (issue 12: launched and attached): json and chrome of a running
# program, Ctrl-C, and the files are whole; the end says detached, and the
# program runs on.
abin=$(build "$FIX/c/sleeper.c" gcc:-O0:pie)
for fmt in json chrome; do
	"$abin" 100000 >/dev/null &
	apid=$!
	sleep 0.2
	rm -f "$OUT/fmt-attach.$fmt"
	"$TINYDBG" trace --format "$fmt" --trace-output "$OUT/fmt-attach.$fmt" -p $apid '^tick$' 2>"$OUT/fmt-attach-$fmt.err" &
	tp=$!
	for _ in $(seq 100); do [[ -s $OUT/fmt-attach.$fmt ]] && break; sleep 0.05; done
	sleep 0.3
	kill -INT $tp
	wait $tp
	if [[ $fmt == json ]]; then
		"$JL" <"$OUT/fmt-attach.json" >"$OUT/fmt-attach.back" 2>"$OUT/fmt-attach.jlerr" &&
			grep -q '^> thread([0-9]*): tick([0-9]*)$' "$OUT/fmt-attach.back" &&
			[[ $(tail -1 "$OUT/fmt-attach.back") == "Process $apid has been detached" ]] &&
			pass "fmt-attach-json: events, then detached" ||
			fail "fmt-attach-json: $(cat "$OUT/fmt-attach.jlerr") last: $(tail -2 "$OUT/fmt-attach.back")"
	else
		got=$("$JL" --chrome <"$OUT/fmt-attach.chrome" 2>"$OUT/fmt-attach.jlerr") &&
			grep -q "\"process $apid detached\"" "$OUT/fmt-attach.chrome" &&
			pass "fmt-attach-chrome: balanced, then detached ($got)" ||
			fail "fmt-attach-chrome: $(cat "$OUT/fmt-attach.jlerr") $(tail -c 200 "$OUT/fmt-attach.chrome")"
	fi
	kill -0 $apid 2>/dev/null && pass "fmt-attach-$fmt: the program runs on" || fail "fmt-attach-$fmt: the program died"
	kill $apid 2>/dev/null
	wait $apid 2>/dev/null
done
