# IFUNCs: memcpy, memset, memcmp and strlen are chosen at load time by
# their resolvers. Tracing them traces the implementation every call runs,
# under the name the program wrote: once per call, never the resolver.
ifsrc=$FIX/c/ifunc.c
# What these cases check is which name each call gets, from code whose
# pointers vary with the environment: libc's prototypes (protos.sh prints
# typed IFUNC calls) are off here, as `?` keeps the lines exact.
export TINYDBG_NO_PROTOS=1
# So are the separate debug files of libc6-dbg (debugfiles.sh uses them):
# with ld.so's full symbol table, its own internal memcpy (called at exit)
# is a memcpy too, and the lines counted here are the program's calls.
export TINYDBG_DEBUG_DIR=$(mktemp -d /tmp/tinydbg-nodebug.XXXXXX) DEBUGINFOD_URLS=
iflags=(-g -O2 -fno-builtin -I"$FIX/c")
cc "${iflags[@]}" -fPIE -pie -o "$OUT/ifunc-lazy" "$ifsrc" || fail "build ifunc-lazy"
cc "${iflags[@]}" -fno-pie -no-pie -Wl,-z,now -o "$OUT/ifunc-now" "$ifsrc" || fail "build ifunc-now"
clang "${iflags[@]}" -fPIE -pie -o "$OUT/ifunc-clang" "$ifsrc" || fail "build ifunc-clang"
# Static: the IRELATIVE relocations are the executable's, applied by its
# start code after the entry point (where a launch stops first).
cc "${iflags[@]}" -static -o "$OUT/ifunc-static" "$ifsrc" || fail "build ifunc-static"

# ifunc_want N PREFIX INDENT: copies(N)'s trace, the four calls per round
# (--follow-calls: PREFIX "frame(2) ", INDENT " ").
ifunc_want() {
	local n=$1 fr=${2:- } ind=${3:-} top=' '
	[[ -n ${2:-} ]] && top='frame(1) '
	echo "> thread(1):${top}copies($n)"
	for ((i = 0; i < n; i++)); do
		for f in memcpy memset memcmp strlen; do
			echo "$ind> thread(1):$fr$f(?)"
			echo "$ind>> thread(1):$fr$f => (?)"
		done
	done
	echo ">> thread(1):${top}copies => ($((n * 16)))"
	echo 'Process 1 has exited with status 0'
}

re='^(memcpy|strlen|memset|memcmp|copies)$'
for v in lazy now clang; do
	run_trace "ifunc-$v" -- trace --seq-ids -e "$OUT/ifunc-$v" "$re" -- 3
	ifunc_want 3 >"$OUT/ifunc-$v.want"
	expect_same "ifunc-$v" "$OUT/ifunc-$v.want"
	expect_rc "ifunc-$v" 0
done

# More calls than rounds in one run: the count is exact (ltrace -c counts
# the same 4 x 200).
run_trace ifunc-count -- trace --seq-ids -e "$OUT/ifunc-lazy" '^(memcpy|strlen|memset|memcmp)$' -- 200
for f in memcpy memset memcmp strlen; do
	ne=$(grep -c "^> thread(1): $f(?)\$" "$OUT/ifunc-count.err")
	nr=$(grep -c "^>> thread(1): $f => (?)\$" "$OUT/ifunc-count.err")
	[[ $ne == 200 && $nr == 200 ]] && pass "ifunc-count $f: 200 calls" ||
		fail "ifunc-count $f: $ne entries, $nr returns, want 200"
done
[[ $(wc -l <"$OUT/ifunc-count.err") == 1601 ]] && pass "ifunc-count: nothing else" ||
	fail "ifunc-count: $(wc -l <"$OUT/ifunc-count.err") lines, want 1601"

# Static, launched: the resolvers have not run at the entry point; their
# results are traced when they return. libc's start code calls some of
# these too: what copies() calls is exact.
run_trace ifunc-static -- trace --seq-ids -e "$OUT/ifunc-static" "$re" -- 3
expect_rc ifunc-static 0
sed -n '/copies(/,/copies =>/p' "$OUT/ifunc-static.err" >"$OUT/ifunc-static.got"
ifunc_want 3 | sed '$d' >"$OUT/ifunc-static.want"
diff -u "$OUT/ifunc-static.want" "$OUT/ifunc-static.got" >"$OUT/ifunc-static.diff" &&
	pass "ifunc-static: copies' calls" || { fail "ifunc-static:"; head -20 "$OUT/ifunc-static.diff" >&2; }
[[ $(grep -c '^> ' "$OUT/ifunc-static.err") == $(grep -c '^>> ' "$OUT/ifunc-static.err") ]] &&
	pass "ifunc-static: as many returns as entries" || fail "ifunc-static: entries and returns differ"

# --follow-calls from the caller: the calls nested under it, at depth 2
# (static: through the executable's own IRELATIVE slots, named as written).
for v in lazy now static; do
	run_trace "ifunc-follow-$v" -- trace --seq-ids -e "$OUT/ifunc-$v" '^copies$' --follow-calls 2 -- 2
	ifunc_want 2 'frame(2) ' ' ' >"$OUT/ifunc-follow-$v.want"
	expect_same "ifunc-follow-$v" "$OUT/ifunc-follow-$v.want"
done

# Attached: the process relocated itself long ago; it calls once told to.
for v in lazy now static; do
	attach_then_signal "ifunc-attach-$v" "$re" "$OUT/ifunc-$v" 3 wait
	expect_rc "ifunc-attach-$v" 0
	ifunc_want 3 >"$OUT/ifunc-attach-$v.want"
	expect_same "ifunc-attach-$v" "$OUT/ifunc-attach-$v.want"
done
rmdir "$TINYDBG_DEBUG_DIR"
unset TINYDBG_NO_PROTOS TINYDBG_DEBUG_DIR
