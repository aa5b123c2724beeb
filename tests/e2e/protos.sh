# Prototypes (src/proto): libc calls print typed values without any debug
# info, from the built-in table; a user's ~/.ltrace.conf describes more;
# DWARF wins over both (issue 11, item 2).
src="$FIX/c/protos.c"
nodbg="$OUT/protos-nodebug"
withdbg="$OUT/protos-debug"
if [[ ! -x $nodbg || $src -nt $nodbg ]]; then
	gcc -O1 -fno-builtin -o "$nodbg" "$src" >"$nodbg.log" 2>&1 || fail "build $nodbg: $(cat "$nodbg.log")"
	gcc -g -O1 -fno-builtin -o "$withdbg" "$src" >"$withdbg.log" 2>&1 || fail "build $withdbg: $(cat "$withdbg.log")"
fi
# Nothing of the runner's: an empty home (no ~/.ltrace.conf) and no debug
# files for libc (libc6-dbg is installed: prototypes only, proven here).
home=$(mktemp -d /tmp/tinydbg-home.XXXXXX)
nodebugdir=$(mktemp -d /tmp/tinydbg-nodebug.XXXXXX)
export HOME=$home TINYDBG_DEBUG_DIR=$nodebugdir DEBUGINFOD_URLS= TINYDBG_PROTO=yes

pr_mask() { sed -E 's/0x[0-9a-f]{6,}/0xADDR/g' "$1"; }
pr_expect() {
	local name=$1 want=$2
	pr_mask "$OUT/$name.err" >"$OUT/$name.got"
	if diff -u "$want" "$OUT/$name.got" >"$OUT/$name.diff"; then
		pass "$name"
	else
		fail "$name: output differs from $(basename "$want"):"
		head -30 "$OUT/$name.diff" >&2
	fi
}
warn="tinydbg: warning: $nodbg has no DWARF debug info: arguments and results are shown as ?"

run_trace protos-libc -- trace --seq-ids -e "$nodbg" '^(malloc|open|close|mmap|munmap|getenv|free)$'
expect_rc protos-libc 0
cat >"$OUT/protos-libc.want" <<WANT
$warn
> thread(1): malloc(16)
>> thread(1): malloc => (0xADDR)
> thread(1): open("/etc/passwd", O_RDONLY|O_CLOEXEC)
>> thread(1): open => (3)
> thread(1): close(3)
>> thread(1): close => (0)
> thread(1): mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
>> thread(1): mmap => (0xADDR)
> thread(1): munmap(0xADDR, 4096)
>> thread(1): munmap => (0)
> thread(1): getenv("TINYDBG_PROTO")
>> thread(1): getenv => ("yes")
> thread(1): malloc(4096)
>> thread(1): malloc => (0xADDR)
> thread(1): free(0xADDR)
>> thread(1): free => ()
Process 1 has exited with status 0
WANT
pr_expect protos-libc "$OUT/protos-libc.want"
grep -qx '8 2 yes' "$OUT/protos-libc.out" && pass "protos-libc: program output" ||
	fail "protos-libc: program output: $(cat "$OUT/protos-libc.out")"

# Names at -v 2, from the table; strings read through their pointers.
run_trace protos-v2 -- trace --seq-ids -v 2 -e "$nodbg" '^(open|strlen)$'
cat >"$OUT/protos-v2.want" <<WANT
$warn
> thread(1): open(pathname: "/etc/passwd", flags: O_RDONLY|O_CLOEXEC)
>> thread(1): open => (3)
> thread(1): strlen(s: "TINYDBG_PROTO")
>> thread(1): strlen => (13)
> thread(1): strlen(s: "hi")
>> thread(1): strlen => (2)
> thread(1): strlen(s: "abc")
>> thread(1): strlen => (3)
> thread(1): strlen(s: "yes")
>> thread(1): strlen => (3)
Process 1 has exited with status 0
WANT
pr_expect protos-v2 "$OUT/protos-v2.want"

# The program's own function: unknown without a prototype...
run_trace protos-mine -- trace --seq-ids -e "$nodbg" '^mine$'
printf '%s\n' "$warn" '> thread(1): mine(?)' '>> thread(1): mine => (?)' \
	'Process 1 has exited with status 0' >"$OUT/protos-mine.want"
expect_same protos-mine "$OUT/protos-mine.want"

# ...described by the user's ~/.ltrace.conf, in ltrace's language...
printf '%s\n' '; mine: the fixture' 'int mine(string, int);' >"$home/.ltrace.conf"
run_trace protos-conf -- trace --seq-ids -v 2 -e "$nodbg" '^mine$'
printf '%s\n' "$warn" '> thread(1): mine(arg1: "abc", arg2: 5)' '>> thread(1): mine => (8)' \
	'Process 1 has exited with status 0' >"$OUT/protos-conf.want"
expect_same protos-conf "$OUT/protos-conf.want"

# ...and DWARF wins over it.
run_trace protos-dwarf -- trace --seq-ids -v 2 -e "$withdbg" '^mine$'
printf '%s\n' '> thread(1): mine(s: "abc", n: 5)' '>> thread(1): mine => (8)' \
	'Process 1 has exited with status 0' >"$OUT/protos-dwarf.want"
expect_same protos-dwarf "$OUT/protos-dwarf.want"

# TINYDBG_NO_PROTOS=1: no prototypes, as before them.
TINYDBG_NO_PROTOS=1 run_trace protos-off -- trace --seq-ids -e "$nodbg" '^open$'
printf '%s\n' "$warn" '> thread(1): open(?)' '>> thread(1): open => (?)' \
	'Process 1 has exited with status 0' >"$OUT/protos-off.want"
expect_same protos-off "$OUT/protos-off.want"

rm -rf "$home" "$nodebugdir"
unset TINYDBG_DEBUG_DIR DEBUGINFOD_URLS TINYDBG_PROTO
