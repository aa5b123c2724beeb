# On a terminal (issue 12 item 6): colours with --color always, or on a
# terminal with --color auto unless NO_COLOR is set; never in a file or a
# pipe. `make install` installs the binary, the man page and the bash
# completion; both name every flag the help text lists.
# Engine-independent (colours, the man page and the completion): once, under ptrace.
[[ ${TINYDBG_ENGINE:-ptrace} == ptrace ]] || return 0
cbin=$(build "$FIX/c/inproc.c" gcc:-O2:pie)
esc=$'\033['
run_trace color-always -- trace --color always --seq-ids -e "$cbin" '^leaf$' -- 1
grep -qxF "${esc}32m> thread(1):${esc}0m ${esc}1mleaf${esc}0m(2)" "$OUT/color-always.err" &&
	pass "color-always: coloured" || fail "color-always: $(head -2 "$OUT/color-always.err" | cat -v)"
run_trace color-auto-file -- trace --seq-ids -e "$cbin" '^leaf$' -- 1
grep -qF "$esc" "$OUT/color-auto-file.err" && fail "color-auto-file: colours in a file" ||
	pass "color-auto-file: none in a file"
run_trace color-never -- trace --color never --seq-ids -e "$cbin" '^leaf$' -- 1
grep -qF "$esc" "$OUT/color-never.err" && fail "color-never: colours" || pass "color-never: none"
run_trace color-bad -- trace --color sometimes -e "$cbin" '^leaf$'
expect_rc color-bad 2
expect_err_line color-bad '^tinydbg: invalid --color "sometimes": auto, always or never$'
# On a terminal: auto colours, unless NO_COLOR.
PTY=$OUT/ptydrive
cc -O2 -o "$PTY" "$ROOT/tests/tools/ptydrive.c" || fail "build ptydrive"
NO_COLOR= timeout -k 5 60 "$PTY" wait='exited' -- "$TINYDBG" trace --seq-ids -e "$cbin" '^leaf$' -- 1 >"$OUT/color-tty.out" 2>&1
grep -qF "${esc}1mleaf" "$OUT/color-tty.out" && pass "color-tty: coloured on a terminal" ||
	fail "color-tty: $(head -2 "$OUT/color-tty.out" | cat -v)"
NO_COLOR=1 timeout -k 5 60 "$PTY" wait='exited' -- "$TINYDBG" trace --seq-ids -e "$cbin" '^leaf$' -- 1 >"$OUT/color-nocolor.out" 2>&1
grep -q '> thread(1): leaf(2)' "$OUT/color-nocolor.out" && ! grep -qF "$esc" "$OUT/color-nocolor.out" &&
	pass "color-nocolor: NO_COLOR respected" || fail "color-nocolor: $(head -2 "$OUT/color-nocolor.out" | cat -v)"

# make install, into a scratch root.
dest=$(mktemp -d)
if make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/usr B="${BUILD:-build}" >"$OUT/install.log" 2>&1 &&
	[[ -x $dest/usr/bin/tinydbg && -f $dest/usr/share/man/man1/tinydbg.1 &&
		-f $dest/usr/share/bash-completion/completions/tinydbg ]]; then
	pass "install: binary, man page, completion"
else
	fail "install: $(tail -3 "$OUT/install.log"; find "$dest" -type f)"
fi
rm -rf "$dest"
if command -v groff >/dev/null; then
	groff -man -Tutf8 -ww "$ROOT/man/tinydbg.1" >/dev/null 2>"$OUT/man.warn" && [[ ! -s $OUT/man.warn ]] &&
		pass "man: renders without warnings" || fail "man: $(head -3 "$OUT/man.warn")"
fi
# Every flag of the help texts in the man page and the completion.
missing=
for f in $(for c in trace exec attach; do "$TINYDBG" help $c; done | grep -oE '^ +(-[a-z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+' | sort -u); do
	grep -q -- "${f//-/\\\\-}" "$ROOT/man/tinydbg.1" || missing+=" man:$f"
	grep -q -- "$f" "$ROOT/completion/tinydbg.bash" || missing+=" completion:$f"
done
[[ -z $missing ]] && pass "man, completion: every flag" || fail "flags missing:$missing"
# The completion completes.
if out=$(bash -c "source '$ROOT/completion/tinydbg.bash'; COMP_WORDS=(tinydbg trace --for); COMP_CWORD=2; _tinydbg; echo \"\${COMPREPLY[*]}\"; COMP_WORDS=(tinydbg trace --engine ''); COMP_CWORD=3; _tinydbg; echo \"\${COMPREPLY[*]}\"") &&
	[[ $out == $'--format\nptrace ebpf inproc' ]]; then
	pass "completion: flags and values"
else
	fail "completion: got $out"
fi
