// The Go benchmark target: calls f N times (N from argv, default 1000).
// f is not inlined, so every call is a real call a tracer can see.
package main

import (
	"os"
	"strconv"
)

var g int

//go:noinline
func f(x int) int {
	g += x
	return x + 1
}

func main() {
	n := 1000
	if len(os.Args) > 1 {
		if v, err := strconv.Atoi(os.Args[1]); err == nil {
			n = v
		}
	}
	s := 0
	for i := 0; i < n; i++ {
		s += f(i)
	}
	if s == -1 {
		println(s)
	}
}
