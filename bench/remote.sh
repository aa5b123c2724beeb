#!/usr/bin/env bash
# Events per second of a trace over loopback TCP (exec --headless, then
# trace --connect) against the same trace run locally (socketpair), on one
# target calling a small function N times (entry + return: 2N events).
# Two run lengths, so that start-up cancels out; medians of RUNS runs.
# Prints figures and the ratio (the goal is at least 90%); never fails.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/bench
mkdir -p "$OUT"
TINYDBG=$ROOT/build/tinydbg
cc -g -O2 -o "$OUT/target" "$ROOT/bench/target.c" || exit 1
BIN=$OUT/target
RUNS=${RUNS:-3}
N1=${N1:-20000}
N2=${N2:-100000}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# one_ns local|tcp|unix N: wall time (ns) of tracing a run of N calls
one_ns() {
	local how=$1 n=$2 t0 t1 hpid addr i
	if [[ $how == local ]]; then
		t0=$(date +%s%N)
		"$TINYDBG" trace -e "$BIN" '^f$' -- "$n" >/dev/null 2>"$OUT/remote-bench.err"
		t1=$(date +%s%N)
	else
		local listen=127.0.0.1:0
		[[ $how == unix ]] && listen=unix:$OUT/remote-bench.sock && rm -f "$OUT/remote-bench.sock"
		"$TINYDBG" exec --headless --listen "$listen" "$BIN" -- "$n" >"$OUT/remote-bench.hout" 2>/dev/null &
		hpid=$!
		for ((i = 0; i < 200; i++)); do
			addr=$(sed -n 's/^API server listening at: //p' "$OUT/remote-bench.hout")
			[[ -n $addr ]] && break
			sleep 0.02
		done
		# The server's start (launch, symbols) is not the transport's
		# cost: timed from the connection on, like the local run's
		# start is in both lengths and cancels out.
		t0=$(date +%s%N)
		"$TINYDBG" trace --connect "$addr" '^f$' >/dev/null 2>"$OUT/remote-bench.err"
		t1=$(date +%s%N)
		wait $hpid 2>/dev/null
	fi
	echo $((t1 - t0))
}
ns() { local i; for i in $(seq "$RUNS"); do one_ns "$1" "$2"; done | median; }
rate() { # HOW → events per second between the two lengths
	local a b
	a=$(ns "$1" "$N1")
	b=$(ns "$1" "$N2")
	awk -v a="$a" -v b="$b" -v n=$((2 * (N2 - N1))) 'BEGIN { printf "%.0f", n / ((b - a) / 1e9) }'
}
local_r=$(rate local)
tcp_r=$(rate tcp)
unix_r=$(rate unix)
printf "events/s  local (socketpair) %s   remote TCP %s   remote unix %s\n" "$local_r" "$tcp_r" "$unix_r"
awk -v l="$local_r" -v t="$tcp_r" -v u="$unix_r" 'BEGIN { printf "remote/local  TCP %.0f%%   unix %.0f%%   (goal: TCP >= 90%%)\n", 100 * t / l, 100 * u / l }'

# Delve's own client (dlv connect, `trace main.f` and `continue`) against
# our server and against Delve's, on the same Go program: hits per second
# (each a round trip: Delve's client asks for one hit per continue).
if command -v dlv >/dev/null && command -v go >/dev/null; then
	gobin=$OUT/gotarget
	(cd "$ROOT/bench/go" && GOFLAGS='' GOPROXY=off go build -gcflags='all=-N -l' -o "$gobin" .) || exit 1
	printf 'trace main.f\ncontinue\n' >"$OUT/dlvconn.init"
	H=${DLV_HITS:-2000}
	# dlv_ns SERVER: the run of dlv connect against a server of that kind.
	dlv_ns() {
		local out=$OUT/dlvconn-bench.hout addr= pid i t0 t1
		if [[ $1 == ours ]]; then
			"$TINYDBG" exec --headless --listen 127.0.0.1:0 "$gobin" -- "$H" >"$out" 2>/dev/null </dev/null &
		else
			dlv exec --headless --api-version=2 --listen 127.0.0.1:0 "$gobin" -- "$H" >"$out" 2>&1 </dev/null &
		fi
		pid=$!
		for ((i = 0; i < 200; i++)); do
			addr=$(sed -n 's/^API server listening at: //p' "$out")
			[[ -n $addr ]] && break
			sleep 0.05
		done
		t0=$(date +%s%N)
		timeout 600 dlv connect "$addr" --init "$OUT/dlvconn.init" --allow-non-terminal-interactive \
			>"$OUT/dlvconn-bench.out" 2>&1 </dev/null
		t1=$(date +%s%N)
		kill $pid 2>/dev/null
		wait $pid 2>/dev/null
		echo $((t1 - t0)) "$(grep -c '^>' "$OUT/dlvconn-bench.out")"
	}
	read -r ours_ns ours_hits < <(dlv_ns ours)
	read -r delve_ns delve_hits < <(dlv_ns delve)
	awk -v a="$ours_ns" -v b="$delve_ns" -v ha="$ours_hits" -v hb="$delve_hits" 'BEGIN {
		printf "dlv connect, %d hits: our server %.0f hits/s, Delve'"'"'s %.0f hits/s (%d hits): ours / Delve'"'"'s = %.2f\n",
			ha, ha / (a / 1e9), hb / (b / 1e9), hb, (ha / (a / 1e9)) / (hb / (b / 1e9)) }'
fi
