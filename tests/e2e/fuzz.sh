# The libFuzzer harnesses of tests/fuzz/ (ELF, DWARF, JSON-RPC input), built
# and run briefly from their seeds: `make fuzz-smoke-NAME` for each, side by
# side, each for FUZZ_E2E_TIME seconds (7: about 8 with its start-up).
# A fixed seed: CI replays the seeds and the same mutations each time, so a
# red run means a change broke something; finding new bugs is the job of the
# long, randomly seeded `make fuzz`.
# Once per test run (on the first of $BUILDS, under ptrace: no engine is
# involved): the harnesses have their own sanitizer build, build-fuzz/.
# Longer runs: `make fuzz FUZZ_TIME=600`.
[[ ${TINYDBG_ENGINE:-ptrace} == ptrace ]] || return 0
FUZZ_E2E_TIME=${FUZZ_E2E_TIME:-7}

if [[ ${BUILD:-build} == "${BUILDS%% *}" ]]; then
	if ! make -C "$ROOT" -s -j2 fuzz-build >"$OUT/fuzz-build.log" 2>&1; then
		fail "fuzz: cannot build the harnesses (clang with libFuzzer: scripts/install-deps.sh):"
		tail -15 "$OUT/fuzz-build.log" >&2
	else
		fuzz_pids=()
		for h in elf dwarf json; do
			timeout -k 5 $((FUZZ_E2E_TIME + 90)) \
				make -C "$ROOT" -s fuzz-smoke-$h FUZZ_SMOKE_TIME="$FUZZ_E2E_TIME" FUZZ_ARGS=-seed=1 \
				>"$OUT/fuzz-$h.out" 2>"$OUT/fuzz-$h.err" </dev/null &
			fuzz_pids+=($!)
		done
		i=0
		for h in elf dwarf json; do
			wait "${fuzz_pids[$i]}"
			rc=$?
			i=$((i + 1))
			if [[ $rc == 0 ]] && grep -q "^fuzz $h: ok" "$OUT/fuzz-$h.out"; then
				pass "fuzz-$h"
			else
				fail "fuzz-$h: exit $rc (input kept in build-fuzz/crash/):"
				tail -25 "$OUT/fuzz-$h.err" >&2
			fi
		done
	fi
fi
