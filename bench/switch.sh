#!/usr/bin/env bash
# An interpreter loop (a big switch: a jump table) traced on its function:
# untraced against traced wall time, for gcc and clang at -O0 and -O2. A
# traced switch must cost what any traced call costs, not a stop per case
# (issue 14). Prints figures; never fails for speed.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/bench
mkdir -p "$OUT"
TINYDBG=$ROOT/build/tinydbg
N=${N:-1000000}

now() { date +%s%N; }
ms() { # CMD... → wall ms
	local t0
	t0=$(now)
	"$@" >/dev/null 2>&1
	echo $((($(now) - t0) / 1000000))
}
printf '%-10s %12s %12s  (%d cases taken)\n' build untraced_ms traced_ms "$N"
for cc in gcc clang; do
	for opt in -O0 -O2; do
		bin=$OUT/interp-$cc$opt
		$cc -g $opt -o "$bin" "$ROOT/tests/fixtures/c/interp.c" || exit 1
		printf '%-10s %12s %12s\n' "$cc$opt" "$(ms "$bin" "$N")" \
			"$(ms "$TINYDBG" trace -e "$bin" '^run$' -- "$N")"
	done
done
