# Signals reach the target; its exit status and death become ours.
for v in gcc:-O0:pie clang:-O2:nopie; do
	bin=$(build "$FIX/c/signals.c" "$v") || { fail "build signals $v"; continue; }
	run_trace "signals-$v" -- trace --seq-ids -e "$bin" '^(raiser|in_handler)$'
	expect_same "signals-$v" "$ROOT/tests/trace/signals.expected"
	grep -qx 'got 35' "$OUT/signals-$v.out" && pass "signals-$v delivered" || fail "signals-$v: program saw $(cat "$OUT/signals-$v.out")"
done

bin=$(build "$FIX/c/crash.c" gcc:-O0:pie)
run_trace exit-status -- trace --seq-ids -e "$bin" '^quit$' -- 7
expect_rc exit-status 7
printf '%s\n' '> thread(1): quit(7)' 'Process 1 has exited with status 7' >"$OUT/exit-status.want"
expect_same exit-status "$OUT/exit-status.want"

run_trace crash -- trace --seq-ids -e "$bin" '^boom$' -- crash
expect_rc crash 139
printf '%s\n' '> thread(1): boom(NULL)' 'Process 1 was killed by signal SIGSEGV' >"$OUT/crash.want"
expect_same crash "$OUT/crash.want"

# Program arguments and output pass through untouched.
run_trace args -- trace -e "$bin" '^quit$' -- 0
expect_rc args 0

# --timestamp: the time of the hit, RFC3339Nano, before each event line.
vbin=$(build "$FIX/c/values.c" gcc:-O2:pie)
t0=$(date +%s)
run_trace timestamp -- trace --timestamp --seq-ids -e "$vbin" '^(add|apply)$'
t1=$(date +%s)
expect_rc timestamp 0
re='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2}) '
if [[ $(grep -cE "$re>" "$OUT/timestamp.err") == 8 ]] &&
	grep -qE "$re> thread\\(1\\): add\\(1, 2\\)$" "$OUT/timestamp.err" &&
	grep -qE "$re>> thread\\(1\\): apply => \\(42\\)$" "$OUT/timestamp.err"; then
	pass "timestamp format"
else
	fail "timestamp format: $(head -2 "$OUT/timestamp.err")"
fi
# Each stamp lies within the run and they never go backwards.
TZ=UTC0 gawk -v t0="$t0" -v t1="$t1" '/^[0-9]{4}-/ {
	split($1, a, /[-T:.Z+]/); s = mktime(a[1] " " a[2] " " a[3] " " a[4] " " a[5] " " a[6])
	if ($1 ~ /[+-][0-9][0-9]:[0-9][0-9]$/) { z = substr($1, length($1) - 5); off = (substr(z, 2, 2) * 3600 + substr(z, 5, 2) * 60) * (substr(z, 1, 1) == "-" ? -1 : 1); s -= off }
	if (s < t0 - 1 || s > t1 + 1 || $1 < last) bad++; last = $1 }
	END { exit bad ? 1 : 0 }' "$OUT/timestamp.err" && pass "timestamp values" || fail "timestamp values out of the run's window"

# --durations: each return line ends with the time between its entry and
# return hits, as Go prints a time.Duration.
nbin=$(build "$FIX/c/nap.c" gcc:-O2:pie)
run_trace durations -- trace --durations --seq-ids -e "$nbin" '^(nap|twice|quick)$'
expect_rc durations 0
gawk '
	function ns(s,   v, u) { match(s, /<([0-9.]+)(ns|µs|ms|s)>$/, m); v = m[1]; u = m[2]
		return v * (u == "ns" ? 1 : u == "µs" ? 1e3 : u == "ms" ? 1e6 : 1e9) }
	/^>> thread\(1\): nap => \(\) <[0-9.]+(ns|µs|ms|s)>$/ { n = ns($0); if (n < 20e6 || n > 2e9) bad++; naps++; next }
	/^>> thread\(1\): twice => \(\) <[0-9.]+(ns|µs|ms|s)>$/ { t = ns($0); if (t < 40e6 || t > 4e9) bad++; next }
	/^>> thread\(1\): quick => \(2\) <[0-9.]+(ns|µs)>$/ { q++; next }
	/^>> / { bad++ }
	END { exit (bad || naps != 2 || !t || !q) }' "$OUT/durations.err" && pass "durations" || fail "durations: $(grep '^>>' "$OUT/durations.err" | head -4)"
# Without the flag, no durations.
run_trace no-durations -- trace --seq-ids -e "$nbin" '^quick$'
printf '%s\n' '> thread(1): quick(1)' '>> thread(1): quick => (2)' 'Process 1 has exited with status 0' >"$OUT/no-durations.want"
expect_same no-durations "$OUT/no-durations.want"
