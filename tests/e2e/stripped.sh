# Stripped executables (issue 11 item 3): no symbol table and no DWARF of
# their own is fine while a library has what the regexp asks for; only
# when nothing at all matches is it exit 3.
if [[ -x /bin/true ]]; then
	run_trace stripped-true -- trace --seq-ids -e /bin/true '^exit$'
	expect_rc stripped-true 0
	if grep -qx '> thread(1): exit(0)' "$OUT/stripped-true.err" &&
		[[ $(tail -1 "$OUT/stripped-true.err") == 'Process 1 has exited with status 0' ]]; then
		pass "stripped-true: libc's exit traced"
	else
		fail "stripped-true: $(head -4 "$OUT/stripped-true.err")"
	fi
fi
# A fixture stripped here: its libc calls, typed by the prototypes.
sbin=$OUT/ebpf-stripped
src=$(build "$FIX/c/ebpf.c" gcc:-O2:pie) && strip -o "$sbin" "$src" || fail "stripped: strip"
run_trace stripped-own -- trace --seq-ids -e "$sbin" '^strdup$'
expect_rc stripped-own 0
n=$(grep -Ec '^> thread\(1\): strdup\("hello, world"\)$' "$OUT/stripped-own.err")
r=$(grep -Ec '^>> thread\(1\): strdup => \("hello, world"\)$' "$OUT/stripped-own.err")
[[ $n == 3 && $r == 3 ]] && pass "stripped-own: 3 strdup calls with their values" ||
	fail "stripped-own: $n entries, $r returns: $(head -4 "$OUT/stripped-own.err")"
# Nothing anywhere: exit 3, one line.
run_trace stripped-none -- trace -e "$sbin" '^no_such_function$'
expect_rc stripped-none 3
grep -qF "tinydbg: no function matches '^no_such_function$' in $sbin or the libraries it has loaded" "$OUT/stripped-none.err" &&
	pass "stripped-none message" || fail "stripped-none: $(cat "$OUT/stripped-none.err")"

# A Go binary built with -ldflags='-s -w' (no symbol table, no DWARF;
# Delve refuses it): its functions by name from Go's own function table,
# entries after the stack check (a call reported once), returns, the
# goroutine; values '?'. The same calls as the binary built with DWARF.
if command -v go >/dev/null; then
	gs=$OUT/flow-stripped gd=$OUT/flow-dwarf
	if [[ ! -x $gs || -n $(find "$FIX/go/flow" -newer "$gs" -name '*.go') ]]; then
		(cd "$FIX/go/flow" && GOFLAGS='' GOPROXY=off go build -ldflags='-s -w' -o "$gs" . &&
			GOFLAGS='' GOPROXY=off go build -o "$gd" .) >"$gs.log" 2>&1 || fail "go build flow -s -w: $(tail -3 "$gs.log")"
	fi
	if readelf -S "$gs" | grep -Eq '\.(symtab|debug_info|zdebug_info)'; then
		fail "stripped-go: the binary still has symbols or DWARF"
	fi
	run_trace stripped-go -- trace --seq-ids -e "$gs" '^main\.fact$'
	expect_rc stripped-go 0
	run_trace stripped-go-dwarf -- trace --seq-ids -e "$gd" '^main\.fact$'
	sed -E 's/^(> goroutine\([0-9]+\): [^(]+)\(.*\)$/\1(?)/; s/^(>> goroutine\([0-9]+\): .* => )\(.*\)$/\1(?)/' \
		"$OUT/stripped-go-dwarf.err" >"$OUT/stripped-go.want"
	{ echo "tinydbg: warning: $gs has no DWARF debug info: arguments and results are shown as ?"; cat "$OUT/stripped-go.want"; } >"$OUT/stripped-go.want2"
	expect_same stripped-go "$OUT/stripped-go.want2"
	grep -q '^> goroutine(1): main.fact(?)$' "$OUT/stripped-go.err" && pass "stripped-go: goroutine and function named" ||
		fail "stripped-go: $(head -3 "$OUT/stripped-go.err")"
fi
