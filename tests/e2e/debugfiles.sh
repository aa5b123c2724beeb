# Separate debug info (issue 11, item 1), found as gdb finds it: by build-id
# under the debug root, by .gnu_debuglink (next to the file, in .debug/,
# under the debug root with the file's directory; its CRC checked), and
# from a debuginfod server. The debug root is a temp directory
# (TINYDBG_DEBUG_DIR), so nothing is written under /usr, /etc or $HOME;
# libc6-dbg's real files are read from /usr/lib/debug.
df_src=$FIX/c/debugfiles.c
df_tmp=$(mktemp -d /tmp/tinydbg-debugfiles.XXXXXX)
export DEBUGINFOD_URLS= TINYDBG_DEBUG_DIR=$df_tmp/root
mkdir -p "$TINYDBG_DEBUG_DIR"

# df_split DIR [cc flags]: DIR/df, stripped of its symbols and DWARF, with
# a .gnu_debuglink to df.debug, and DIR/df.debug, its DWARF and symbols.
# Each with a build-id of its own (one source built alike would share it).
df_split() {
	local dir=$1; shift
	local id
	id=$(echo "$dir $RANDOM $SECONDS" | sha1sum | cut -c1-40)
	mkdir -p "$dir"
	gcc -g -O1 "$@" -Wl,--build-id=0x"$id" -I"$FIX/c" -o "$dir/df" "$df_src" 2>"$dir/log" &&
		objcopy --only-keep-debug "$dir/df" "$dir/df.debug" &&
		strip -s "$dir/df" &&
		objcopy --add-gnu-debuglink="$dir/df.debug" "$dir/df" ||
		fail "debugfiles: build in $dir: $(cat "$dir/log")"
}
df_want='> thread(1): scale(1.5, 2)
>> thread(1): scale => (3)
> thread(1): area(struct point {x: 3, y: 4}, "box")
>> thread(1): area => (12)
Process 1 has exited with status 0'
# df_case NAME BIN: area (a static function: in no symbol table the
# stripped file keeps) and scale, with their DWARF types.
df_case() {
	local name=$1 bin=$2
	run_trace "$name" -- trace --seq-ids -e "$bin" '^(area|scale)$'
	expect_rc "$name" 0
	printf '%s\n' "$df_want" >"$OUT/$name.want"
	expect_same "$name" "$OUT/$name.want"
	grep -qx '12 3.0' "$OUT/$name.out" && pass "$name: program output" ||
		fail "$name: program output: $(cat "$OUT/$name.out")"
}

# Without its debug file: nothing of its own to trace.
df_split "$df_tmp/none"
rm "$df_tmp/none/df.debug"
run_trace df-none -- trace --seq-ids -e "$df_tmp/none/df" '^(area|scale)$'
expect_rc df-none 3

# .gnu_debuglink: next to the file...
df_split "$df_tmp/next"
df_case df-link-next "$df_tmp/next/df"
# ...in its .debug/ folder...
df_split "$df_tmp/dot"
mkdir "$df_tmp/dot/.debug" && mv "$df_tmp/dot/df.debug" "$df_tmp/dot/.debug/"
df_case df-link-dotdebug "$df_tmp/dot/df"
# ...and under the debug root, with the file's directory.
df_split "$df_tmp/rooted"
mkdir -p "$TINYDBG_DEBUG_DIR$df_tmp/rooted"
mv "$df_tmp/rooted/df.debug" "$TINYDBG_DEBUG_DIR$df_tmp/rooted/"
df_case df-link-root "$df_tmp/rooted/df"
rm -rf "${TINYDBG_DEBUG_DIR:?}/tmp"

# By build-id: ROOT/.build-id/xx/yyyy.debug (the debuglink's name is found
# nowhere).
df_split "$df_tmp/bid"
df_id=$(readelf -n "$df_tmp/bid/df" | awk '/Build ID/ {print $3}')
mkdir -p "$TINYDBG_DEBUG_DIR/.build-id/${df_id:0:2}"
mv "$df_tmp/bid/df.debug" "$TINYDBG_DEBUG_DIR/.build-id/${df_id:0:2}/${df_id:2}.debug"
df_case df-buildid "$df_tmp/bid/df"

# Another build's debug file where the debuglink points: its CRC is not
# the one recorded, so it is ignored with one warning, and the right one
# in .debug/ is used.
df_split "$df_tmp/crc"
df_split "$df_tmp/other" -O2 -DOTHER
mkdir "$df_tmp/crc/.debug" && mv "$df_tmp/crc/df.debug" "$df_tmp/crc/.debug/"
cp "$df_tmp/other/df.debug" "$df_tmp/crc/df.debug"
run_trace df-crc -- trace --seq-ids -e "$df_tmp/crc/df" '^(area|scale)$'
expect_rc df-crc 0
if head -1 "$OUT/df-crc.err" | grep -Eqx "tinydbg: warning: $df_tmp/crc/df.debug: CRC [0-9a-f]{8}, but $df_tmp/crc/df's .gnu_debuglink says [0-9a-f]{8}: ignored"; then
	pass "df-crc: the mismatched file is named, once"
else
	fail "df-crc: first line: $(head -1 "$OUT/df-crc.err")"
fi
[[ $(tail -n +2 "$OUT/df-crc.err") == "$df_want" ]] && pass "df-crc: the right file used" ||
	{ fail "df-crc: got:"; cat "$OUT/df-crc.err" >&2; }
# Only the wrong one: warned, and the program has nothing to trace.
rm -r "$df_tmp/crc/.debug"
run_trace df-crc-only -- trace --seq-ids -e "$df_tmp/crc/df" '^(area|scale)$'
expect_rc df-crc-only 3
[[ $(grep -c 'CRC .*: ignored$' "$OUT/df-crc-only.err") == 1 ]] && pass "df-crc-only: one warning" ||
	{ fail "df-crc-only: got:"; cat "$OUT/df-crc-only.err" >&2; }
# A file under the build-id's name that is another build's: ignored with
# a warning (its own build-id says so); the debuglink's is used then.
df_split "$df_tmp/bidbad"
df_id=$(readelf -n "$df_tmp/bidbad/df" | awk '/Build ID/ {print $3}')
mkdir -p "$TINYDBG_DEBUG_DIR/.build-id/${df_id:0:2}"
cp "$df_tmp/other/df.debug" "$TINYDBG_DEBUG_DIR/.build-id/${df_id:0:2}/${df_id:2}.debug"
run_trace df-buildid-bad -- trace --seq-ids -e "$df_tmp/bidbad/df" '^(area|scale)$'
expect_rc df-buildid-bad 0
{ echo "tinydbg: warning: $TINYDBG_DEBUG_DIR/.build-id/${df_id:0:2}/${df_id:2}.debug: its build-id is not $df_tmp/bidbad/df's: ignored"
  echo "$df_want"; } >"$OUT/df-buildid-bad.want"
expect_same df-buildid-bad "$OUT/df-buildid-bad.want"

# libc6-dbg: libc's DWARF from /usr/lib/debug/.build-id, its parameter
# names (bytes, file, oflag, mem: glibc's, not the prototype table's) with
# the prototypes off, so that DWARF is what types them.
df_libc=$df_tmp/protos
gcc -O1 -fno-builtin -o "$df_libc" "$FIX/c/protos.c" || fail "build $df_libc"
(
	unset TINYDBG_DEBUG_DIR
	export TINYDBG_NO_PROTOS=1 TINYDBG_PROTO=yes
	run_trace df-libc -- trace --seq-ids -v 2 -e "$df_libc" '^(malloc|open|getenv|free)$'
	expect_rc df-libc 0
	sed -E 's/0x[0-9a-f]{6,}/0xADDR/g' "$OUT/df-libc.err" >"$OUT/df-libc.got"
	cat >"$OUT/df-libc.want" <<WANT
tinydbg: warning: $df_libc has no DWARF debug info: arguments and results are shown as ?
> thread(1): malloc(bytes: 16)
>> thread(1): malloc => (0xADDR)
> thread(1): open(file: "/etc/passwd", oflag: 524288)
>> thread(1): open => (3)
> thread(1): getenv(name: "TINYDBG_PROTO")
>> thread(1): getenv => ("yes")
> thread(1): malloc(bytes: 4096)
>> thread(1): malloc => (0xADDR)
> thread(1): free(mem: 0xADDR)
>> thread(1): free => ()
Process 1 has exited with status 0
WANT
	diff -u "$OUT/df-libc.want" "$OUT/df-libc.got" >"$OUT/df-libc.diff" && pass "df-libc: libc6-dbg's DWARF" ||
		{ fail "df-libc:"; head -30 "$OUT/df-libc.diff" >&2; }
)
# A Debian binary as shipped (stripped, its debug info in no package we
# install) calling into libc, typed by libc6-dbg's DWARF alone.
if [[ -x /bin/ls ]]; then
	(
		unset TINYDBG_DEBUG_DIR
		export TINYDBG_NO_PROTOS=1
		run_trace df-ls -- trace --seq-ids -v 2 -e /bin/ls '^(opendir|closedir)$' -- "$df_tmp"
		expect_rc df-ls 0
		sed -E 's/0x[0-9a-f]{6,}/0xADDR/g' "$OUT/df-ls.err" >"$OUT/df-ls.got"
		printf '%s\n' "tinydbg: warning: /bin/ls has no DWARF debug info: arguments and results are shown as ?" \
			"> thread(1): opendir(name: \"$df_tmp\")" '>> thread(1): opendir => (0xADDR)' \
			'> thread(1): closedir(dirp: 0xADDR)' '>> thread(1): closedir => (0)' \
			'Process 1 has exited with status 0' >"$OUT/df-ls.want"
		diff -u "$OUT/df-ls.want" "$OUT/df-ls.got" >"$OUT/df-ls.diff" && pass "df-ls: /bin/ls's libc calls typed by libc6-dbg" ||
			{ fail "df-ls:"; head -20 "$OUT/df-ls.diff" >&2; }
	)
fi
# The same with the debug root elsewhere: no DWARF, so `?`.
TINYDBG_NO_PROTOS=1 run_trace df-libc-none -- trace --seq-ids -e "$df_libc" '^getenv$'
printf '%s\n' "tinydbg: warning: $df_libc has no DWARF debug info: arguments and results are shown as ?" \
	'> thread(1): getenv(?)' '>> thread(1): getenv => (?)' 'Process 1 has exited with status 0' \
	>"$OUT/df-libc-none.want"
expect_same df-libc-none "$OUT/df-libc-none.want"

# debuginfod: a real server on loopback over a directory holding the debug
# file, its client's cache in a temp directory. The download is said, once;
# the second run takes the file from the cache, silently.
df_split "$df_tmp/dinfod"
mkdir -p "$df_tmp/srv" "$df_tmp/cache"
mv "$df_tmp/dinfod/df.debug" "$df_tmp/srv/"
df_port= df_pid=
for _ in 1 2 3 4 5; do
	df_port=$((20000 + RANDOM % 30000))
	debuginfod -F -p "$df_port" -d "$df_tmp/db.sqlite" -t 0 -g 0 "$df_tmp/srv" \
		>"$df_tmp/debuginfod.log" 2>&1 &
	df_pid=$!
	# Up, and the file scanned: the server answers for its build-id.
	df_id=$(readelf -n "$df_tmp/dinfod/df" | awk '/Build ID/ {print $3}')
	for _ in $(seq 100); do
		kill -0 "$df_pid" 2>/dev/null || break
		# A fresh cache each time: a "not found" is cached.
		rm -rf "$df_tmp/probe"
		DEBUGINFOD_URLS=http://127.0.0.1:$df_port DEBUGINFOD_CACHE_PATH=$df_tmp/probe \
			debuginfod-find debuginfo "$df_id" >/dev/null 2>&1 && break 2
		sleep 0.1
	done
	kill "$df_pid" 2>/dev/null; wait "$df_pid" 2>/dev/null
	df_pid=
done
if [[ -z $df_pid ]]; then
	fail "debuginfod: the server did not start: $(tail -5 "$df_tmp/debuginfod.log")"
else
	export DEBUGINFOD_URLS=http://127.0.0.1:$df_port DEBUGINFOD_CACHE_PATH=$df_tmp/cache
	run_trace df-debuginfod -- trace --seq-ids -e "$df_tmp/dinfod/df" '^(area|scale)$'
	expect_rc df-debuginfod 0
	{ echo "tinydbg: note: downloading debug info for $df_tmp/dinfod/df from $DEBUGINFOD_URLS"
	  echo "$df_want"; } >"$OUT/df-debuginfod.want"
	expect_same df-debuginfod "$OUT/df-debuginfod.want"
	df_case df-debuginfod-cached "$df_tmp/dinfod/df"
	# A server that has nothing: no note, no warning.
	run_trace df-debuginfod-none -- trace --seq-ids -e "$df_tmp/none/df" '^(area|scale)$'
	expect_rc df-debuginfod-none 3
	grep -q 'debuginfod\|downloading' "$OUT/df-debuginfod-none.err" &&
		{ fail "df-debuginfod-none: got:"; cat "$OUT/df-debuginfod-none.err" >&2; } ||
		pass "df-debuginfod-none: silent"
	kill "$df_pid"; wait "$df_pid" 2>/dev/null
	export DEBUGINFOD_URLS= DEBUGINFOD_CACHE_PATH=
fi
rm -rf "$df_tmp"
