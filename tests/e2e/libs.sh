# Shared libraries: libc's functions, a library of ours linked in, one
# loaded with dlopen later (and unloaded, and loaded again).
LIBDIR=$OUT/lib
mkdir -p "$LIBDIR"
cc -g -O0 -fPIC -shared -I"$FIX/c" -o "$LIBDIR/libplugin.so" "$FIX/c/lib/plugin.c" || fail "build libplugin.so"
dlbin=$(build "$FIX/c/dl.c" gcc:-O0:pie -ldl) || fail "build dl"
cc -g -O0 -I"$FIX/c" -o "$OUT/linked" "$FIX/c/linked.c" -L"$LIBDIR" -lplugin -Wl,-rpath,"$LIBDIR" || fail "build linked"

# A library linked in: traced from the first call, with its arguments.
run_trace libs-linked -- trace --seq-ids -e "$OUT/linked" '^plug_add$'
printf '%s\n' '> thread(1): plug_add(20, 22)' '>> thread(1): plug_add => (42)' 'Process 1 has exited with status 0' >"$OUT/libs-linked.want"
expect_same libs-linked "$OUT/libs-linked.want"

# dlopen after the start, twice: both loads traced, each call once.
run_trace libs-dlopen -- trace --seq-ids -e "$dlbin" '^(plug_add|use)$' -- "$LIBDIR/libplugin.so"
printf '%s\n' "> thread(1): use(\"$LIBDIR/libplugin.so\", 2, 3)" '> thread(1): plug_add(2, 3)' '>> thread(1): plug_add => (5)' '>> thread(1): use => (5)' \
	"> thread(1): use(\"$LIBDIR/libplugin.so\", 4, 5)" '> thread(1): plug_add(4, 5)' '>> thread(1): plug_add => (9)' '>> thread(1): use => (9)' \
	'Process 1 has exited with status 0' >"$OUT/libs-dlopen.want"
expect_same libs-dlopen "$OUT/libs-dlopen.want"
grep -qx 14 "$OUT/libs-dlopen.out" && pass "libs-dlopen program output" || fail "libs-dlopen: program printed $(cat "$OUT/libs-dlopen.out")"

# libc: no DWARF there, but prototypes (protos.sh); the calls are all seen.
run_trace libs-libc -- trace --seq-ids -e "$dlbin" '^(malloc|free)$' -- "$LIBDIR/libplugin.so"
expect_rc libs-libc 0
[[ $(grep -Ec '^> thread\(1\): malloc\([0-9]+\)$' "$OUT/libs-libc.err") -ge 1 &&
	$(grep -Ec '^> thread\(1\): free\((0x[0-9a-f]+|NULL)\)$' "$OUT/libs-libc.err") -ge 1 ]] &&
	[[ $(grep -c '^> ' "$OUT/libs-libc.err") == $(grep -c '^>> ' "$OUT/libs-libc.err") ]] &&
	pass "libs-libc" || fail "libs-libc: $(head -5 "$OUT/libs-libc.err")"

# A regexp matching more than the cap is refused, with the count (libraries
# included) and the flag. (The default cap, 5000, is in manyfuncs.sh.)
run_trace libs-cap -- trace -e "$dlbin" '.' --max-functions 1000 -- "$LIBDIR/libplugin.so"
expect_rc libs-cap 2
expect_err_line libs-cap "^tinydbg: '\\.' matches [0-9]+ functions, more than the 1000 allowed; .*--max-functions [0-9]+$"
no_stray libs-cap "$dlbin $LIBDIR"

# The reader of the output goes away: the launched target ends with us.
sbin=$(build "$FIX/c/sleeper.c" gcc:-O2:pie)
timeout -k 5 30 "$TINYDBG" trace -e "$sbin" '^tick$' -- 100000 2>&1 >/dev/null | head -1 >"$OUT/libs-epipe.head"
rcs=("${PIPESTATUS[@]}")
RC=${rcs[0]}
expect_rc libs-epipe 141
grep -q '^> thread([0-9]*): tick(0)$' "$OUT/libs-epipe.head" && pass "libs-epipe first line" || fail "libs-epipe: got $(cat "$OUT/libs-epipe.head")"
no_stray libs-epipe "$sbin 100000"
