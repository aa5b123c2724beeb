#!/usr/bin/env bash
# Runs every test: the unit test binaries, then the end-to-end cases in
# tests/e2e/. Ends with one line "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export ROOT
RESULTS=$(mktemp)
export RESULTS

# BUILDS: the build directories to test, e.g. "build build-san" (the
# second one made with `make SAN=1`): every test runs against each.
BUILDS=${BUILDS:-${BUILD:-build}}
# E2E=NAME runs only tests/e2e/NAME.sh (a glob, or several separated by
# spaces), and no unit tests. LATER_E2E: the same for the builds after the
# first (the unit tests all run there).
E2E=${E2E:-}
# ENGINES: the engines the end-to-end cases run under (TINYDBG_ENGINE),
# e.g. "ptrace ebpf": every case must print the same under each. The
# second and later run only against the first build.
ENGINES=${ENGINES:-ptrace}
# PARALLEL=1: two streams at once, each with its own output directory:
# the first build's second and later engines (BUILD/test-out-engines) in
# the background, while the first engine and then the later builds
# (BUILD/test-out) run here; the background log is shown when both are
# done. Most cases wait on a child or a pipe: two at once fill 2 CPUs
# (CI's 15 minutes).
PARALLEL=${PARALLEL:-0}

# run_build BUILD ENGINES GLOBS [nounits]: one build's unit tests and
# end-to-end cases. Unit results go to RESULTS as "UNIT p f" lines, the
# cases' as PASS/FAIL lines (appends of one short line: safe from two
# writers).
run_build() {
	local BUILD=$1 engines=$2 globs_s=$3 units=${4:-units}
	export BUILD
	echo "=== testing $BUILD ($engines)"
	for t in "$ROOT"/$BUILD/unit/test_*; do
		[[ -x $t && -z $E2E && $units == units ]] || continue
		echo "== unit: $(basename "$t")"
		# Captured, then shown: `tee /dev/stderr` would reopen a
		# redirected log file and truncate it.
		out=$(cd "$ROOT" && timeout -k 5 300 "$t" 2>&1)
		printf '%s\n' "$out" >&2
		line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' <<<"$out" | tail -1)
		if [[ -z $line ]]; then
			echo "FAIL unit $BUILD/$(basename "$t"): no result line (crashed or timed out)" >>"$RESULTS"
			continue
		fi
		p=${line%% passed*}
		f=${line#*passed, }
		f=${f%% failed*}
		echo "UNIT $p $f" >>"$RESULTS"
	done

	set -f # the globs are for tests/e2e/, not here
	local globs=($globs_s)
	set +f
	for ENGINE in $engines; do
	for g in "${globs[@]}"; do
	for t in "$ROOT"/tests/e2e/$g.sh; do
		[[ -f $t ]] || continue
		echo "== e2e ($ENGINE): $(basename "$t")"
		t0=$SECONDS
		(cd "$ROOT" && export TINYDBG_ENGINE=$ENGINE && source tests/lib.sh && source "$t")
		# Where CI's 15 minutes go.
		echo "== took $((SECONDS - t0)) s"
	done
	done
	done
}

first=1 bg= log=
for b in $BUILDS; do
	if ((first)); then
		engines=$ENGINES
		if ((PARALLEL)); then
			set -- $ENGINES
			engines=$1
			shift
			if (($#)); then
				mkdir -p "$ROOT/$b/test-out-engines"
				log=$ROOT/$b/test-run-engines.log
				(OUT=$ROOT/$b/test-out-engines run_build "$b" "$*" "${E2E:-*}" nounits) >"$log" 2>&1 &
				bg=$!
			fi
		fi
		run_build "$b" "$engines" "${E2E:-*}"
	else
		# The other engines once, on the first build; the later builds
		# (the sanitizer's) run LATER_E2E's files when it is set.
		run_build "$b" ptrace "${E2E:-${LATER_E2E:-*}}"
	fi
	first=0
done
if [[ -n $bg ]]; then
	wait "$bg"
	cat "$log"
fi

passed=$(grep -c '^PASS' "$RESULTS")
failed=$(grep -c '^FAIL' "$RESULTS")
while read -r _ p f; do
	passed=$((passed + p))
	failed=$((failed + f))
done < <(grep '^UNIT ' "$RESULTS")
grep '^FAIL' "$RESULTS" >&2
rm -f "$RESULTS"
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
