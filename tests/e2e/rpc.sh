# The JSON-RPC server, driven through its protocol by the transcripts of
# tests/rpc/*.rpc (see the header of tests/rpc/replay.c), against the real
# debugger and tests/fixtures/c/rpc_target.c (remote_*.rpc through a headless
# server on a unix socket: replay --socket). Each transcript gets its own
# replay (and so its own server and target); they run side by side.
# Engine-independent (the JSON-RPC protocol and its transport): once, under ptrace.
[[ ${TINYDBG_ENGINE:-ptrace} == ptrace ]] || return 0
REPLAY=${REPLAY:-$ROOT/${BUILD:-build}/replay}

if [[ ! -x $REPLAY ]]; then
	fail "rpc: $REPLAY not built (make build/replay)"
elif ! rpc_bin=$(build "$FIX/c/rpc_target.c" gcc:-O0:pie); then
	fail "rpc: cannot build rpc_target.c"
else
	rpc_pids=()
	rpc_names=()
	for t in "$ROOT"/tests/rpc/*.rpc; do
		name=rpc-$(basename "$t" .rpc)
		# replay gives up on a hanging server after 30 s; timeout is
		# for a hang of replay itself.
		# remote_*: against a headless server on a unix socket,
		# whose clients are remote ones (limits, timeouts).
		mode=()
		[[ $(basename "$t") == remote_* ]] && mode=(--socket)
		timeout -k 5 40 "$REPLAY" "${mode[@]}" --target "$rpc_bin" -- "$t" \
			>"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null &
		rpc_pids+=($!)
		rpc_names+=("$name")
	done
	for i in "${!rpc_pids[@]}"; do
		name=${rpc_names[$i]}
		wait "${rpc_pids[$i]}"
		rc=$?
		if [[ $rc == 0 ]] && grep -qx '1 transcripts, 0 failures' "$OUT/$name.out"; then
			pass "$name"
		else
			fail "$name: exit $rc"
			head -20 "$OUT/$name.err" >&2
		fi
	done
fi
