# The eBPF engine's own cases (the whole suite also runs under it: ENGINES
# in tests/run.sh). Values are captured at the hit: a string freed and
# overwritten after the call prints as it was. Recursion deeper than the
# kernel's 64 return probes per thread returns as deep as it entered. A
# full ring loses events, counted exactly. Bad flags and a missing
# privilege get one line.

ebpf_want() { # the expected output of '^(take|deep)$' on ebpf.c
	local i
	for c in a b c; do
		echo "> thread(1): take(\"${c}ello, world\")"
		echo ">> thread(1): take => (12)"
	done
	for ((i = 100; i >= 0; i--)); do echo "> thread(1): deep($i)"; done
	for ((i = 0; i <= 100; i++)); do echo ">> thread(1): deep => ($i)"; done
	echo 'Process 1 has exited with status 0'
}
ebpf_want >"$OUT/ebpf.want"

for v in gcc:-O0:pie gcc:-O2:pie clang:-O2:nopie gcc:-O2:cet; do
	bin=$(build "$FIX/c/ebpf.c" "$v") || { fail "ebpf: build $v"; continue; }
	run_trace "ebpf-$v" -- trace --ebpf --seq-ids -e "$bin" '^(take|deep)$'
	expect_rc "ebpf-$v" 0
	expect_same "ebpf-$v" "$OUT/ebpf.want"
done

# A ring of 4 KiB and 200000 calls: whatever is printed plus what is
# reported lost is every event, and the total line agrees.
bin=$(build "$FIX/c/ebpf.c" gcc:-O2:pie)
run_trace ebpf-lost -- trace --ebpf --ebpf-ring 4 --seq-ids -e "$bin" '^hot$' -- 200000
expect_rc ebpf-lost 0
counts=$(awk '/^> thread/ { e++ } /^>> thread/ { r++ }
	/^tinydbg: lost [0-9]+ events$/ { l += $3 }
	/^tinydbg: lost [0-9]+ events in all/ { t = $3 }
	END { printf "%d %d %d %d", e, r, l, t }' "$OUT/ebpf-lost.err")
read -r e r l t <<<"$counts"
if ((e + r + l == 400000 && l == t)); then
	pass "ebpf-lost: $e entries + $r returns printed + $l lost = 400000 (total line $t)"
else
	fail "ebpf-lost: $e entries + $r returns + $l lost != 400000, or total $t != $l"
fi
# And with the default ring none is lost (no false alarm).
run_trace ebpf-nolost -- trace --ebpf --seq-ids -e "$bin" '^hot$' -- 20000
if ! grep -q 'lost' "$OUT/ebpf-nolost.err" && [[ $(grep -c '^>' "$OUT/ebpf-nolost.err") == 40000 ]]; then
	pass "ebpf-nolost: 40000 events, no loss reported"
else
	fail "ebpf-nolost: $(grep -c '^>' "$OUT/ebpf-nolost.err") events, $(grep -c lost "$OUT/ebpf-nolost.err") loss lines"
fi

# Bad flags: one line, usage exit.
run_trace ebpf-badengine -- trace --engine dtrace -e "$bin" hot
expect_rc ebpf-badengine 2
expect_err_line ebpf-badengine '^tinydbg: invalid --engine "dtrace": ptrace, ebpf or inproc$'
run_trace ebpf-badring -- trace --ebpf --ebpf-ring 100 -e "$bin" hot
expect_rc ebpf-badring 2
expect_err_line ebpf-badring '^tinydbg: invalid --ebpf-ring "100": a size in KiB, a power of two'

# Without privilege: one line naming what is missing and that the ptrace
# engine works without it; nothing started.
if command -v setpriv >/dev/null && [[ $(id -u) == 0 ]]; then
	# A clone under a private mktemp dir is not reachable by nobody: run a
	# copy of both binaries from a directory every user may enter.
	npd=$(mktemp -d /tmp/tinydbg-nopriv.XXXXXX)
	chmod 755 "$npd"
	cp "$TINYDBG" "$npd/tinydbg"
	cp "$bin" "$npd/ebpf-nopriv"
	chmod 755 "$npd/tinydbg" "$npd/ebpf-nopriv"
	timeout -k 5 30 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$npd/tinydbg" trace --ebpf -e "$npd/ebpf-nopriv" hot >"$OUT/ebpf-nopriv.out" 2>"$OUT/ebpf-nopriv.err" </dev/null
	RC=$?
	[[ $RC != 0 ]] && pass "ebpf-nopriv exit $RC" || fail "ebpf-nopriv: exit 0"
	expect_err_line ebpf-nopriv '^tinydbg: .*(root|CAP_BPF).*ptrace engine'
	no_stray ebpf-nopriv "$npd/ebpf-nopriv"
	rm -rf "$npd"
fi

# The slow path said once: tiny is too short for the jump to a nop of ours
# (3 bytes), and its first instruction (a mov) is single-stepped by the
# kernel; its returns, a uretprobe there, are counted with it. Only with
# --ebpf (the suite turns engine notes off to compare engines). hot, whose
# entry jumps to a nop, is not counted.
TINYDBG_ENGINE_NOTES=1 run_trace ebpf-note-stepped -- trace --ebpf --seq-ids -e "$bin" '^(tiny|hot)$' -- 3
notes=$(grep -c '^tinydbg: note: eBPF: 1 of 4 uprobes are on an instruction the kernel single-steps rather than emulates' "$OUT/ebpf-note-stepped.err")
[[ $notes == 1 && $(grep -c '^> thread(1): tiny(' "$OUT/ebpf-note-stepped.err") == 3 &&
	$(grep -c '^> thread(1): hot(' "$OUT/ebpf-note-stepped.err") == 3 ]] &&
	pass "ebpf-note-stepped: one note, 3 calls each" ||
	fail "ebpf-note-stepped: $notes notes: $(head -3 "$OUT/ebpf-note-stepped.err")"

# Entries and ret sites jump to a 5-byte nop of ours that carries the
# uprobe, which the kernel optimises (engine/ebpf/jumps.h): attached to
# four threads calling work (its first instruction a rip-relative load,
# relocated) from run, work's first byte is a jmp and the nops' page is
# mapped while traced, with three trampolines (work's entry, whose returns
# a uretprobe on its nop catches; run's entry and its ret site); Ctrl-C
# puts the code back, and the target runs on and finishes right.
cc -O2 -o "$OUT/textcmp" "$ROOT/tests/tools/textcmp.c" || fail "build textcmp"
tbin=$(build "$FIX/c/threads.c" gcc:-O2:pie)
"$tbin" 8000 >"$OUT/ebpf-jump.target" &
target=$!
sleep 0.3
timeout -k 5 30 "$TINYDBG" trace --ebpf -p $target '^(work|run)$' >"$OUT/ebpf-jump.out" 2>"$OUT/ebpf-jump.err" &
tpid=$!
for _ in $(seq 100); do grep -q '^>> thread.*: run => ' "$OUT/ebpf-jump.err" 2>/dev/null && break; sleep 0.05; done
base=$(awk -v p="$tbin" '$6 == p && $3 == "00000000" { split($1, a, "-"); print a[1]; exit }' /proc/$target/maps)
off=$(nm "$tbin" | awk '$3 == "work" { print $1 }')
byte=$(dd if=/proc/$target/mem bs=1 count=1 iflag=skip_bytes skip=$((0x$base + 0x$off)) 2>/dev/null | od -An -tx1 | tr -d ' ')
[[ $byte == e9 ]] && pass "ebpf-jump: work's entry jumps while traced" || fail "ebpf-jump: work's first byte is '$byte' (base $base, offset $off)"
range=$(awk '/memfd:tinydbg-nops/ { print $1; exit }' /proc/$target/maps)
if [[ -n $range ]]; then
	pass "ebpf-jump: the nops' page is mapped"
	# One 64-byte slot per trampoline (jumps.c's SLOT), the rest zeros.
	n=$(od -An -v -tx1 -w64 "/proc/$target/map_files/$range" | grep -vc '^\( 00\)*$')
	[[ $n == 3 ]] && pass "ebpf-jump: 3 trampolines" || fail "ebpf-jump: $n trampolines, want 3"
else
	fail "ebpf-jump: no tinydbg-nops mapping"
fi
kill -INT $tpid
wait $tpid
RC=$?
expect_rc ebpf-jump 130
grep -Eq '^>> thread\([0-9]+\): work => \([0-9]+\)$' "$OUT/ebpf-jump.err" &&
	grep -Eq '^>> thread\([0-9]+\): run => \(' "$OUT/ebpf-jump.err" && pass "ebpf-jump: traced" ||
	fail "ebpf-jump: $(head -3 "$OUT/ebpf-jump.err")"
"$OUT/textcmp" $target >"$OUT/ebpf-jump.cmp" && pass "ebpf-jump: code restored" ||
	fail "ebpf-jump: code differs: $(head -3 "$OUT/ebpf-jump.cmp")"
wait $target
RC=$?
expect_rc ebpf-jump-target 0
[[ $(cat "$OUT/ebpf-jump.target") == ok ]] && pass "ebpf-jump: the target finished its work" ||
	fail "ebpf-jump: target printed '$(cat "$OUT/ebpf-jump.target")'"
# A function that starts with int3 (the kernel refuses a uprobe there):
# the same line as without --ebpf, and the rest is traced.
run_trace ebpf-int3 -- trace --ebpf --seq-ids -e "$bin" '^(take|trapped)$'
expect_rc ebpf-int3 0
if grep -Eq '^tinydbg: unable to set tracepoint on function trapped: 0x[0-9a-f]+ already holds an int3$' "$OUT/ebpf-int3.err" &&
	[[ $(grep -c '^>> thread(1): take => (12)$' "$OUT/ebpf-int3.err") == 3 ]]; then
	pass "ebpf-int3: refused as with ptrace, take traced"
else
	fail "ebpf-int3: $(head -3 "$OUT/ebpf-int3.err")"
fi

# A library loaded with dlopen after the start: its entries jump to nops
# too, patched at the loader's rendezvous, before any of its code runs
# (main is traced so that the regexp matches at the start).
dlib=$OUT/ebpf-lib
mkdir -p "$dlib"
cc -g -O0 -fPIC -shared -I"$FIX/c" -o "$dlib/libplugin.so" "$FIX/c/lib/plugin.c" || fail "build libplugin.so"
dhold=$(build "$FIX/c/dlhold.c" gcc:-O0:pie -ldl) || fail "build dlhold"
timeout -k 5 30 "$TINYDBG" trace --ebpf -e "$dhold" '^(plug_add|main)$' -- "$dlib/libplugin.so" 100 >"$OUT/ebpf-jump-dl.out" 2>"$OUT/ebpf-jump-dl.err" &
tpid=$!
for _ in $(seq 100); do grep -q '^>> thread.*plug_add' "$OUT/ebpf-jump-dl.err" 2>/dev/null && break; sleep 0.05; done
dpid=$(grep -m1 -oE '^> thread\([0-9]+' "$OUT/ebpf-jump-dl.err" | grep -oE '[0-9]+$')
base=$(awk -v p="$dlib/libplugin.so" '$6 == p && $3 == "00000000" { split($1, a, "-"); print a[1]; exit }' /proc/$dpid/maps 2>/dev/null)
off=$(nm "$dlib/libplugin.so" | awk '$3 == "plug_add" { print $1 }')
byte=
[[ -n $base ]] && byte=$(dd if=/proc/$dpid/mem bs=1 count=1 iflag=skip_bytes skip=$((0x$base + 0x$off)) 2>/dev/null | od -An -tx1 | tr -d ' ')
[[ $byte == e9 ]] && pass "ebpf-jump-dl: plug_add's entry jumps" || fail "ebpf-jump-dl: plug_add's first byte is '$byte' (pid '$dpid', base '$base')"
wait $tpid
RC=$?
expect_rc ebpf-jump-dl 0
n=$(grep -cE '^>> thread\([0-9]+\): plug_add => \([0-9]+\)$' "$OUT/ebpf-jump-dl.err")
[[ $n == 100 && $(cat "$OUT/ebpf-jump-dl.out") == 5050 ]] && pass "ebpf-jump-dl: 100 calls traced, the program right" ||
	fail "ebpf-jump-dl: $n returns, the program printed '$(cat "$OUT/ebpf-jump-dl.out")'"
