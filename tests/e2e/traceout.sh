# --trace-output (issue 12 item 3): the trace goes to a file, or to stdout
# with '-', instead of stderr; whole and well-formed also when tinydbg is
# stopped by SIGTERM or Ctrl-C mid-run. An unwritable path is one line.
tbin=$(build "$FIX/c/ebpf.c" gcc:-O2:pie)
run_trace traceout-ref -- trace --seq-ids -e "$tbin" '^take$'
tf=$OUT/traceout.trace
rm -f "$tf"
run_trace traceout-file -- trace --seq-ids --trace-output "$tf" -e "$tbin" '^take$'
expect_rc traceout-file 0
if cmp -s "$tf" "$OUT/traceout-ref.err" && [[ ! -s $OUT/traceout-file.err ]]; then
	pass "traceout-file: the trace in the file, nothing on stderr"
else
	fail "traceout-file: file $(wc -l <"$tf") lines, stderr: $(head -2 "$OUT/traceout-file.err")"
fi
run_trace traceout-stdout -- trace --seq-ids --trace-output - -e "$tbin" '^take$'
expect_rc traceout-stdout 0
cmp -s "$OUT/traceout-stdout.out" "$OUT/traceout-ref.err" && [[ ! -s $OUT/traceout-stdout.err ]] &&
	pass "traceout-stdout: the trace on stdout" ||
	fail "traceout-stdout: $(head -2 "$OUT/traceout-stdout.out")"

run_trace traceout-bad -- trace --trace-output /nonexistent-dir/x.trace -e "$tbin" '^take$'
expect_rc traceout-bad 2
expect_err_line traceout-bad '^tinydbg: cannot write --trace-output "/nonexistent-dir/x.trace": No such file or directory$'

# SIGTERM or Ctrl-C while a hot function is traced: every line of the file
# whole, the last one the process's end (as the signal killed it).
for sig in TERM INT; do
	rm -f "$tf"
	"$TINYDBG" trace --seq-ids --trace-output "$tf" -e "$tbin" '^hot$' -- 100000000 >/dev/null 2>"$OUT/traceout-$sig.err" &
	tp=$!
	for _ in $(seq 100); do [[ -s $tf ]] && break; sleep 0.05; done
	sleep 0.2
	kill -$sig $tp
	wait $tp
	end='Process 1 (has been killed|was killed by signal SIG(TERM|INT|KILL))'
	# (An engine that does not stop the target may lose events to a full
	# ring: counted, in lines of their own.)
	lost='tinydbg: lost [0-9]+ events( in all \(the ring buffer was full: a larger --ebpf-ring keeps more\))?'
	bad=$(grep -Evc "^(>> thread\\(1\\): hot => \\([0-9]+\\)|> thread\\(1\\): hot\\([0-9]+\\)|$lost|$end)\$" "$tf")
	if [[ $bad == 0 ]] && tail -1 "$tf" | grep -Eqx "$end" && [[ $(wc -l <"$tf") -gt 2 ]]; then
		pass "traceout-sig$sig: $(wc -l <"$tf") whole lines, the end last"
	else
		fail "traceout-sig$sig: $bad bad lines, last: $(tail -c 200 "$tf")"
	fi
done
