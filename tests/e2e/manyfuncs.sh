# A regexp as broad as a package of the standard library: net/http has
# over a thousand functions, which the default cap (5000) lets through,
# with a note of the count and of the time the set-up takes (and of the
# functions the compiler inlined at every call, an optimised build having
# many). Past the cap, one line and exit 2.
command -v go >/dev/null || fail "go: not installed (scripts/install-deps.sh)"
hbin=$OUT/httpself
if [[ ! -x $hbin || -n $(find "$FIX/go/httpself" -newer "$hbin" -name '*.go') ]]; then
	# Optimised, as a program runs in production (and the standard
	# library comes from the build cache).
	(cd "$FIX/go/httpself" && GOFLAGS='' GOPROXY=off go build -o "$hbin" .) >"$hbin.log" 2>&1 ||
		fail "go build httpself: $(tail -3 "$hbin.log")"
fi
run_trace manyfuncs-http -- trace --seq-ids -e "$hbin" 'net/http'
expect_rc manyfuncs-http 0
[[ $(cat "$OUT/manyfuncs-http.out") == hello ]] && pass "manyfuncs-http program output" ||
	fail "manyfuncs-http: the program printed $(head -3 "$OUT/manyfuncs-http.out")"
err=$OUT/manyfuncs-http.err
if sed -n 1p "$err" | grep -Eq "^tinydbg: note: not traced, inlined by the compiler at every call: net/http\.[^ ]+(, net/http\.[^ ]+){7} and [0-9]+ more$" &&
	sed -n 2p "$err" | grep -Eq "^tinydbg: note: 'net/http' matches [0-9]{4} functions; setting up their tracepoints takes about [0-9]+(\.[0-9])? s$" &&
	[[ $(grep -c '^tinydbg' "$err") == 2 ]]; then
	pass "manyfuncs-http notes"
else
	fail "manyfuncs-http: want two notes first, got: $(grep '^tinydbg' "$err" | cut -c1-200)"
fi
# The request: the client's call and its return, the handler's work.
if grep -q '^> goroutine(1): net/http\.(\*Client)\.Get(("\*net/http\.Client")(0x[0-9a-f]*), "http://127\.0\.0\.1:[0-9]*/")$' "$err" &&
	grep -q '^>> goroutine(1): net/http\.(\*Client)\.Get => (' "$err" &&
	grep -q '^> goroutine([0-9]*): net/http\.HandlerFunc\.ServeHTTP(' "$err" &&
	[[ $(tail -1 "$err") == 'Process 1 has exited with status 0' ]]; then
	pass "manyfuncs-http events"
else
	fail "manyfuncs-http: calls missing: $(grep -c '^> ' "$err") entries, last line $(tail -1 "$err")"
fi

# Everything (7,000 functions and more) is past the default cap.
run_trace manyfuncs-cap -- trace -e "$hbin" '.'
expect_rc manyfuncs-cap 2
expect_err_line manyfuncs-cap "^tinydbg: '\\.' matches [0-9]+ functions, more than the 5000 allowed; narrow the regexp or raise the cap with --max-functions [0-9]+$"
no_stray manyfuncs-cap "$hbin"
