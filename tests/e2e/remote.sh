# The remote backend: exec/attach --headless serving a target on TCP or a
# unix socket, trace --connect printing what a local trace prints, the
# server's end with its client, and who may connect (issue 10).
# Engine-independent (the remote transport; the engine behind a server
# is the one a local trace uses): once, under ptrace.
[[ ${TINYDBG_ENGINE:-ptrace} == ptrace ]] || return 0
rbin=$(build "$FIX/c/rpc_target.c" gcc:-O0:pie) || fail "remote: cannot build rpc_target.c"
sbin=$(build "$FIX/c/sleeper.c" gcc:-O0:pie) || fail "remote: cannot build sleeper.c"
cc -O2 -o "$OUT/textcmp" "$ROOT/tests/tools/textcmp.c" || fail "remote: build textcmp"
RDIR=$(mktemp -d /tmp/tinydbg-remote.XXXXXX)
chmod 755 "$RDIR"

# headless NAME ARGS...: starts `tinydbg ARGS` in the background ($HPID),
# waits for its "API server listening at:" line and puts the address in
# $HADDR (empty when it never came).
headless() {
	local name=$1 i
	shift
	# A last run's file would give its address until the new server's
	# shell has truncated it.
	rm -f "$OUT/$name.hout"
	"$TINYDBG" "$@" >"$OUT/$name.hout" 2>"$OUT/$name.herr" </dev/null &
	HPID=$!
	HADDR=
	for ((i = 0; i < 100; i++)); do
		HADDR=$(sed -n 's/^API server listening at: //p' "$OUT/$name.hout" 2>/dev/null)
		[[ -n $HADDR ]] && break
		kill -0 $HPID 2>/dev/null || break
		sleep 0.05
	done
	[[ -n $HADDR ]] || fail "$name: no 'API server listening at:' line: $(head -3 "$OUT/$name.herr")"
}

# server_ends NAME: the headless server $HPID exits by itself, soon.
server_ends() {
	local name=$1 i
	for ((i = 0; i < 100; i++)); do
		kill -0 $HPID 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 $HPID 2>/dev/null; then
		fail "$name: the server did not end when its client went"
		kill -9 $HPID
	else
		pass "$name: the server ends with its client"
	fi
	wait $HPID 2>/dev/null
}

# Launched, over TCP and a unix socket: exactly what a local trace prints.
for args in "--seq-ids ^(add|fib)\$" "--seq-ids --stack 3 ^add\$" "--seq-ids -v 1 ^fib\$"; do
	tag=$(echo "$args" | tr -cd 'a-z0-9')
	run_trace "remote-local-$tag" trace -e "$rbin" $args -- 0
	for how in tcp unix; do
		name=remote-$how-$tag
		if [[ $how == tcp ]]; then
			headless "$name" exec --headless --listen 127.0.0.1:0 "$rbin" -- 0
			[[ $HADDR =~ ^127\.0\.0\.1:[0-9]+$ ]] && pass "$name: listening at $HADDR" || fail "$name: address '$HADDR'"
		else
			rm -f "$RDIR/s.sock"
			headless "$name" exec --headless --listen "unix:$RDIR/s.sock" "$rbin" -- 0
			[[ $HADDR == "unix:$RDIR/s.sock" ]] && pass "$name: listening at $HADDR" || fail "$name: address '$HADDR'"
		fi
		run_trace "$name" trace --connect "$HADDR" $args
		expect_same "$name" "$OUT/remote-local-$tag.err"
		expect_rc "$name" 0
		server_ends "$name"
	done
done
[[ ! -e $RDIR/s.sock ]] && pass "remote: the unix socket is removed at the end" || fail "remote: the unix socket was left behind"

# A client that leaves early: the launched target is killed with the server.
headless remote-early exec --headless --listen 127.0.0.1:0 "$sbin" -- 100000
timeout --preserve-status -s INT 1 "$TINYDBG" trace --connect "$HADDR" '^tick$' >/dev/null 2>"$OUT/remote-early.err"
RC=$?
expect_rc remote-early 130
grep -Eq '^> thread\([0-9]+\): tick\([0-9]+\)$' "$OUT/remote-early.err" && pass "remote-early: events" || fail "remote-early: no event: $(head -3 "$OUT/remote-early.err")"
server_ends remote-early
no_stray remote-early "$sbin 100000"

# Attached, over a unix socket: the client goes, the process is detached
# intact (untraced, its code as in the file) and runs on.
"$sbin" 100000 >/dev/null &
target=$!
sleep 0.2
rm -f "$RDIR/a.sock"
headless remote-attach attach --headless --listen "unix:$RDIR/a.sock" $target
timeout --preserve-status -s INT 1 "$TINYDBG" trace --connect "$HADDR" --seq-ids '^tick$' >/dev/null 2>"$OUT/remote-attach.err"
RC=$?
expect_rc remote-attach 130
if grep -Eq '^> thread\(1\): tick\([0-9]+\)$' "$OUT/remote-attach.err" &&
	grep -Eq '^>> thread\(1\): tick => \([0-9]+\)$' "$OUT/remote-attach.err"; then
	pass "remote-attach: events"
else
	fail "remote-attach: no events: $(head -3 "$OUT/remote-attach.err")"
fi
server_ends remote-attach
if [[ -d /proc/$target ]] && grep -q '^TracerPid:[[:space:]]*0$' /proc/$target/status &&
	"$OUT/textcmp" $target >"$OUT/remote-attach.cmp"; then
	pass "remote-attach: the process is detached intact"
else
	fail "remote-attach: the process is gone, traced or patched: $(head -3 "$OUT/remote-attach.cmp" 2>/dev/null)"
fi
kill -9 $target 2>/dev/null
wait $target 2>/dev/null

# One client at a time: a second one is refused while the first is served;
# with --accept-multiclient both are, and the target lives on between them.
headless remote-one exec --headless --listen 127.0.0.1:0 "$sbin" -- 100000
timeout --preserve-status -s INT 2 "$TINYDBG" trace --connect "$HADDR" '^tick$' >/dev/null 2>"$OUT/remote-one.err" &
first=$!
sleep 0.7
run_trace remote-second trace --connect "$HADDR" '^tick$'
[[ $RC != 0 ]] && pass "remote-second: refused (exit $RC)" || fail "remote-second: exit 0"
expect_err_line remote-second '^tinydbg: tinydbg: another client is connected; this server takes one at a time'
wait $first
server_ends remote-one
grep -q 'refused a connection: another client is connected' "$OUT/remote-one.herr" && pass "remote-one: the server says it refused one" || fail "remote-one: no note: $(head -3 "$OUT/remote-one.herr")"

headless remote-multi exec --headless --accept-multiclient --listen 127.0.0.1:0 "$rbin" -- 0
run_trace remote-multi1 trace --connect "$HADDR" --seq-ids '^add$'
grep -Eq '^> thread\(1\): add\(1, 2\)$' "$OUT/remote-multi1.err" && pass "remote-multi: first client traced" || fail "remote-multi: first client: $(head -3 "$OUT/remote-multi1.err")"
server_ends remote-multi
# Clients one after the other tracing the same function: the second finds
# the tracepoints the first set, and gets the events too.
headless remote-multi2 exec --headless --accept-multiclient --listen 127.0.0.1:0 "$sbin" -- 100000
for k in 1 2; do
	timeout --preserve-status -s INT 1.5 "$TINYDBG" trace --connect "$HADDR" '^tick$' >/dev/null 2>"$OUT/remote-multi2-$k.err"
	grep -q '^> thread([0-9]*): tick(' "$OUT/remote-multi2-$k.err" && ! grep -q 'unable to set' "$OUT/remote-multi2-$k.err" &&
		pass "remote-multi2: client $k traced" || fail "remote-multi2: client $k: $(head -3 "$OUT/remote-multi2-$k.err")"
done
kill $HPID 2>/dev/null
wait $HPID 2>/dev/null

# Who may connect: a client running as nobody is refused, before the server
# reads a byte of it, on a unix socket (its credentials) and on loopback
# TCP (its socket's owner). The socket is open to all, so that only the
# check can refuse it; the binary is copied where nobody may run it.
as_nobody=()
if command -v setpriv >/dev/null; then
	as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
elif command -v runuser >/dev/null; then
	as_nobody=(runuser -u nobody --)
fi
if [[ $(id -u) == 0 && ${#as_nobody[@]} -gt 0 ]]; then
	cp "$TINYDBG" "$RDIR/tinydbg"
	chmod 755 "$RDIR/tinydbg"
	for how in unix tcp; do
		name=remote-nobody-$how
		if [[ $how == unix ]]; then
			rm -f "$RDIR/n.sock"
			headless "$name" exec --headless --listen "unix:$RDIR/n.sock" "$rbin" -- 5
			chmod 777 "$RDIR/n.sock"
		else
			headless "$name" exec --headless --listen 127.0.0.1:0 "$rbin" -- 5
		fi
		timeout -k 5 30 "${as_nobody[@]}" "$RDIR/tinydbg" trace --connect "$HADDR" '^add$' >/dev/null 2>"$OUT/$name.err" </dev/null
		RC=$?
		[[ $RC != 0 ]] && pass "$name: refused (exit $RC)" || fail "$name: a client of another user was served"
		expect_err_line "$name" "connection refused: the client runs as uid $(id -u nobody), the server as uid 0"
		# The server still serves its own user.
		run_trace "$name-owner" trace --connect "$HADDR" --seq-ids '^add$'
		grep -Eq '^> thread\(1\): add\(1, 2\)$' "$OUT/$name-owner.err" && pass "$name: the owner is served after" || fail "$name: owner: $(head -3 "$OUT/$name-owner.err")"
		server_ends "$name"
	done
else
	pass "remote-nobody: skipped (not root, or no setpriv/runuser)"
fi

# Listening beyond loopback needs --allow-remote, and warns.
run_trace remote-noallow exec --headless --listen 0.0.0.0:0 "$rbin"
expect_rc remote-noallow 2
expect_err_line remote-noallow '^tinydbg: 0\.0\.0\.0:0 is not a loopback address: .*--allow-remote'
headless remote-allow exec --headless --allow-remote --listen 0.0.0.0:0 "$rbin" -- 0
grep -q 'warning: listening on 0.0.0.0:[0-9]*, not a loopback address' "$OUT/remote-allow.herr" && pass "remote-allow: warning" || fail "remote-allow: no warning: $(head -3 "$OUT/remote-allow.herr")"
kill -INT $HPID
wait $HPID 2>/dev/null
no_stray remote-allow "$rbin"

# Bad uses: one line, a usage error.
run_trace remote-nohl exec "$rbin"
expect_rc remote-nohl 2
expect_err_line remote-nohl '^tinydbg: exec needs --headless'
run_trace remote-badaddr exec --headless --listen nowhere "$rbin"
expect_rc remote-badaddr 2
expect_err_line remote-badaddr '^tinydbg: invalid address "nowhere"'
run_trace remote-conn-e trace --connect 127.0.0.1:1 -e "$rbin" add
expect_rc remote-conn-e 2
expect_err_line remote-conn-e '^tinydbg: -e cannot be used with --connect'
run_trace remote-refused trace --connect 127.0.0.1:1 add
expect_rc remote-refused 4
expect_err_line remote-refused '^tinydbg: cannot connect to 127\.0\.0\.1:1: Connection refused$'

# Our client against Delve's own server (dlv exec --headless): detected by
# GetVersion, driven through Delve's per-hit continue loop; it prints what
# the local trace of the same Go program prints.
if command -v dlv >/dev/null && command -v go >/dev/null; then
	gbin=$OUT/remote-flow
	(cd "$FIX/go/flow" && go build -gcflags='all=-N -l' -o "$gbin" .) >"$gbin.log" 2>&1 || fail "remote-dlv: go build flow: $(head -3 "$gbin.log")"
	re='^main\.(fact|tick)$'
	run_trace remote-dlv-local trace -e "$gbin" "$re" -- seq
	rm -f "$OUT/remote-dlv.hout" # a last run's address, else (see headless)
	dlv exec --headless --api-version=2 --listen 127.0.0.1:0 "$gbin" -- seq >"$OUT/remote-dlv.hout" 2>"$OUT/remote-dlv.herr" </dev/null &
	HPID=$!
	HADDR=
	for ((i = 0; i < 200; i++)); do
		HADDR=$(sed -n 's/^API server listening at: //p' "$OUT/remote-dlv.hout" 2>/dev/null)
		[[ -n $HADDR ]] && break
		sleep 0.05
	done
	run_trace remote-dlv trace --connect "$HADDR" "$re"
	# The pids differ: the exit line is compared without them.
	sed -i 's/^Process [0-9]* /Process N /' "$OUT/remote-dlv.err" "$OUT/remote-dlv-local.err"
	grep -q '^> goroutine(1): main.fact(' "$OUT/remote-dlv.err" && pass "remote-dlv: events" || fail "remote-dlv: no events"
	expect_same remote-dlv "$OUT/remote-dlv-local.err"
	kill $HPID 2>/dev/null
	wait $HPID 2>/dev/null

	# Delve's own client (dlv connect, a script of trace and continue)
	# against Delve's server and against ours, on the same Go program:
	# the same hits. Ours serves it one hit per Command continue.
	printf 'trace main.fact\ncontinue\n' >"$OUT/dlvconn.init"
	dlv_hits() { # ADDR NAME: runs the script, keeps the hit lines
		timeout -k 5 60 dlv connect "$1" --init "$OUT/dlvconn.init" --allow-non-terminal-interactive \
			>"$OUT/$2.out" 2>&1 </dev/null
		grep -E '^>>? goroutine' "$OUT/$2.out" >"$OUT/$2.hits"
	}
	dlv exec --headless --api-version=2 --listen 127.0.0.1:0 "$gbin" -- seq >"$OUT/dlvconn-delve.hout" 2>&1 </dev/null &
	DPID=$!
	DADDR=
	for ((i = 0; i < 200; i++)); do
		DADDR=$(sed -n 's/^API server listening at: //p' "$OUT/dlvconn-delve.hout")
		[[ -n $DADDR ]] && break
		sleep 0.05
	done
	dlv_hits "$DADDR" dlvconn-delve
	kill $DPID 2>/dev/null
	wait $DPID 2>/dev/null
	headless dlvconn-ours exec --headless --listen 127.0.0.1:0 "$gbin" -- seq
	dlv_hits "$HADDR" dlvconn-ours
	server_ends dlvconn-ours
	if [[ -s $OUT/dlvconn-delve.hits ]] && cmp -s "$OUT/dlvconn-delve.hits" "$OUT/dlvconn-ours.hits"; then
		pass "dlvconn: dlv connect prints the same $(wc -l <"$OUT/dlvconn-ours.hits") hits from our server as from Delve's"
	else
		fail "dlvconn: Delve's server gave $(wc -l <"$OUT/dlvconn-delve.hits") hit lines, ours: $(head -4 "$OUT/dlvconn-ours.out")"
	fi
	grep -q '^/.*dlvconn.init:2: Process [0-9]* has exited with status 0$' "$OUT/dlvconn-ours.out" &&
		pass "dlvconn: the end" || fail "dlvconn: no exit line: $(tail -3 "$OUT/dlvconn-ours.out")"
	# Its breakpoints and clear commands: listed, and once cleared the
	# entry tracepoint reports nothing more (the returns still do).
	printf 'trace main.fact\nbreakpoints\nclear 1\ncontinue\n' >"$OUT/dlvconn.init"
	headless dlvconn-clear exec --headless --listen 127.0.0.1:0 "$gbin" -- seq
	dlv_hits "$HADDR" dlvconn-clear
	server_ends dlvconn-clear
	if grep -q '^Tracepoint 1 (enabled) at 0x[0-9a-f]* for main.fact() .*main.go:[1-9][0-9]* (0)$' "$OUT/dlvconn-clear.out" &&
		grep -q '^Tracepoint 1 cleared at ' "$OUT/dlvconn-clear.out" &&
		! grep -q '^> goroutine' "$OUT/dlvconn-clear.out" &&
		[[ $(grep -c '^>> goroutine(1): => (' "$OUT/dlvconn-clear.out") -ge 4 ]]; then
		pass "dlvconn-clear: breakpoints listed, one cleared"
	else
		fail "dlvconn-clear: $(head -8 "$OUT/dlvconn-clear.out")"
	fi
	# And on a C program (Delve's server has no C to compare with).
	printf 'trace add\ncontinue\n' >"$OUT/dlvconn.init"
	headless dlvconn-c exec --headless --listen 127.0.0.1:0 "$rbin" -- 0
	dlv_hits "$HADDR" dlvconn-c
	server_ends dlvconn-c
	printf '%s\n' '> goroutine(0): add(1, 2)' '>> goroutine(0): => (3)' >"$OUT/dlvconn-c.want"
	cmp -s "$OUT/dlvconn-c.want" "$OUT/dlvconn-c.hits" && pass "dlvconn-c: a C program's hits" ||
		fail "dlvconn-c: $(head -5 "$OUT/dlvconn-c.out")"
else
	fail "remote-dlv: dlv or go is not installed (scripts/install-deps.sh installs them)"
fi

rm -rf "$RDIR"
