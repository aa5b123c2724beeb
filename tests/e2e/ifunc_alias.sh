# IFUNCs sharing an implementation: on many CPUs memcpy and memmove resolve
# to the same code. Each call is named by what the program called (as
# ltrace names it by its PLT entry), whichever of the two the regexp
# matches, with no error for the second name; a call by a name the regexp
# does not match is not shown.
asrc=$FIX/c/ifunc_alias.c
# What these cases check is which name each call gets, from code whose
# pointers vary with the environment: libc's prototypes (protos.sh prints
# typed IFUNC calls) are off here, as `?` keeps the lines exact.
export TINYDBG_NO_PROTOS=1
# So are the separate debug files of libc6-dbg (debugfiles.sh uses them):
# with ld.so's full symbol table, its own internal memcpy (called at exit)
# is a memcpy too, and the lines counted here are the program's calls.
export TINYDBG_DEBUG_DIR=$(mktemp -d /tmp/tinydbg-nodebug.XXXXXX) DEBUGINFOD_URLS=
aflags=(-g -O0 -fno-builtin)
cc "${aflags[@]}" -fPIE -pie -o "$OUT/ifunc-alias-lazy" "$asrc" || fail "build ifunc-alias-lazy"
# -fno-plt: the calls go through the GOT slots (call *memcpy@GOTPCREL(%rip)).
cc "${aflags[@]}" -fno-plt -fno-pie -no-pie -Wl,-z,now -o "$OUT/ifunc-alias-now" "$asrc" ||
	fail "build ifunc-alias-now"

# alias_want N M RE: the trace of N memcpy calls then M memmove calls, of
# those RE matches.
alias_want() {
	local n=$1 m=$2 re=$3 i
	for ((i = 0; i < n; i++)); do
		[[ memcpy =~ $re ]] && printf '> thread(1): memcpy(?)\n>> thread(1): memcpy => (?)\n'
	done
	for ((i = 0; i < m; i++)); do
		[[ memmove =~ $re ]] && printf '> thread(1): memmove(?)\n>> thread(1): memmove => (?)\n'
	done
	echo 'Process 1 has exited with status 0'
}

for v in lazy now; do
	k=0
	for re in '^(memcpy|memmove)$' '^memmove$' '^memcpy$'; do
		k=$((k + 1))
		t=ifunc-alias-$v-$k
		run_trace "$t" -- trace --seq-ids -e "$OUT/ifunc-alias-$v" "$re" -- 3 5
		alias_want 3 5 "$re" >"$OUT/$t.want"
		expect_same "$t" "$OUT/$t.want"
		expect_rc "$t" 0
	done
done

# Static: the executable's own IRELATIVE slots name the calls. libc's start
# code calls memcpy too: main's memmove calls are exact, and nothing fails.
cc "${aflags[@]}" -static -o "$OUT/ifunc-alias-static" "$asrc" || fail "build ifunc-alias-static"
k=0
for re in '^(memcpy|memmove)$' '^memmove$'; do
	k=$((k + 1))
	t=ifunc-alias-static-$k
	run_trace "$t" -- trace --seq-ids -e "$OUT/ifunc-alias-static" "$re" -- 3 5
	expect_rc "$t" 0
	ne=$(grep -c '^> thread(1): memmove(?)$' "$OUT/$t.err")
	nr=$(grep -c '^>> thread(1): memmove => (?)$' "$OUT/$t.err")
	[[ $ne == 5 && $nr == 5 ]] && pass "$t: 5 memmove calls" ||
		fail "$t: $ne memmove entries, $nr returns, want 5"
	grep -q '^tinydbg' "$OUT/$t.err" && fail "$t: $(grep -m1 '^tinydbg' "$OUT/$t.err")" ||
		pass "$t: no error"
	if [[ $k == 1 ]]; then
		ne=$(grep -c '^> thread(1): memcpy(?)$' "$OUT/$t.err")
		[[ $ne -ge 3 ]] && pass "$t: memcpy calls" || fail "$t: $ne memcpy calls, want 3 or more"
	else
		grep -q memcpy "$OUT/$t.err" && fail "$t: memcpy shown" || pass "$t: no memcpy"
	fi
done

# Attached: the slots were bound long ago (or, lazy, are bound during the
# trace); the calls start once the tracer is in.
for v in lazy now; do
	k=0
	for re in '^(memcpy|memmove)$' '^memmove$' '^memcpy$'; do
		k=$((k + 1))
		t=ifunc-alias-attach-$v-$k
		attach_then_signal "$t" "$re" "$OUT/ifunc-alias-$v" 4 2 wait
		expect_rc "$t" 0
		alias_want 4 2 "$re" >"$OUT/$t.want"
		expect_same "$t" "$OUT/$t.want"
	done
done
rmdir "$TINYDBG_DEBUG_DIR"
unset TINYDBG_NO_PROTOS TINYDBG_DEBUG_DIR
