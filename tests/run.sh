#!/usr/bin/env bash
# Runs every test: the unit test binaries, then the end-to-end cases in
# tests/e2e/. Ends with one line "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export ROOT
RESULTS=$(mktemp)
export RESULTS
passed=0 failed=0

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
for BUILD in $BUILDS; do
export BUILD
echo "=== testing $BUILD"
for t in "$ROOT"/$BUILD/unit/test_*; do
	[[ -x $t && -z $E2E ]] || continue
	echo "== unit: $(basename "$t")"
	# Captured, then shown: `tee /dev/stderr` would reopen a redirected
	# log file and truncate it.
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
	passed=$((passed + p))
	failed=$((failed + f))
done

set -f # the globs are for tests/e2e/, not here
globs=(${GLOBS:-${E2E:-*}})
set +f
for ENGINE in $ENGINES; do
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
# The other engines once, on the first build; the later builds (the
# sanitizer's) run LATER_E2E's files when it is set (CI's 15 minutes).
ENGINES=ptrace
[[ -z $E2E && -n ${LATER_E2E:-} ]] && GLOBS=$LATER_E2E
done

p=$(grep -c '^PASS' "$RESULTS")
f=$(grep -c '^FAIL' "$RESULTS")
grep '^FAIL' "$RESULTS" >&2
rm -f "$RESULTS"
passed=$((passed + p))
failed=$((failed + f))
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
