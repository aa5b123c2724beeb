# Many threads in one traced function: no lost, duplicated or mismatched
# events; every entry has its return on the same thread.
check_threads() {
	local name=$1 file=$2 rounds=$3
	gawk -v want=$((rounds * 4 * 2000)) '
	/^> thread\(/ { match($0, /thread\(([0-9]+)\)/, m); t = m[1]
		match($0, /work\(([0-9]+), ([0-9]+)\)/, a)
		if (open[t] != "") { bad++ } open[t] = a[1] " " a[2]; entries++
		key = a[1] " " a[2] " " t; if (seen[key]++) dup++ ; next }
	/^>> thread\(/ { match($0, /thread\(([0-9]+)\)/, m); t = m[1]
		match($0, /=> \(([0-9]+)\)/, r)
		split(open[t], a, " ")
		if (open[t] == "" || r[1] != a[1] * 100000 + a[2]) bad++
		open[t] = ""; returns++; next }
	END { if (entries != want || returns != want || bad || dup) {
		printf "entries %d returns %d (want %d) mismatched %d duplicated %d\n", entries, returns, want, bad, dup; exit 1 } }
	' "$file" && pass "$name" || fail "$name: $(awk '1' "$file" | tail -1)"
}
for v in gcc:-O0:pie gcc:-O2:nopie clang:-O2:pie; do
	bin=$(build "$FIX/c/threads.c" "$v") || { fail "build threads $v"; continue; }
	run_trace "threads-$v" -- trace --seq-ids -e "$bin" '^work$' -- 3
	expect_rc "threads-$v" 0
	check_threads "threads-$v" "$OUT/threads-$v.err" 3
done
