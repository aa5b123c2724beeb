# Our Go element lists back to Delve's default "[...]": a bracket outside
# quotes, after a space, whose match is followed by what ends a value (a
# type's brackets are followed by the element type: []int, [3]int,
# map[K]V, or follow its name: main.Box[int]). Used by the
# Go tests that compare tinydbg's lines with `dlv trace`'s.
function match_of(s, i,    d, c, n, q) {
	n = length(s)
	for (; i <= n; i++) {
		c = substr(s, i, 1)
		if (q) {
			if (c == "\\") i++
			else if (c == "\"") q = 0
			continue
		}
		if (c == "\"") q = 1
		else if (c == "[") d++
		else if (c == "]" && --d == 0) return i
	}
	return 0
}
{
	s = $0; out = ""; q = 0; n = length(s)
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		if (q) {
			out = out c
			if (c == "\\") { i++; out = out substr(s, i, 1) }
			else if (c == "\"") q = 0
			continue
		}
		if (c == "\"") q = 1
		if (c == "[" && substr(s, i - 1, 1) == " ") {
			j = match_of(s, i)
			nx = substr(s, j + 1, 1)
			if (j > i + 1 && (nx == "" || index("),}]:", nx) > 0)) {
				out = out "[...]"
				i = j
				continue
			}
		}
		out = out c
	}
	print out
}
