// The in-process engine's Go target: f(x, y) called os.Args[1] times, the
// loop timed by the program itself (printed on stdout as "loop_ns N", its
// CPU time as "cpu_ns N"), as bench/timed.c does for C: what a tracer
// costs the traced program, apart from how long the tracer then takes to
// print.
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// The process's CPU time (user and system), in ns: Go gives no thread's
// own, and the loop runs on one thread while nothing else does.
func cpuNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

var g int

//go:noinline
func f(x, y int) int {
	g += x
	return x + y
}

func main() {
	n := 1000
	if len(os.Args) > 1 {
		if v, err := strconv.Atoi(os.Args[1]); err == nil {
			n = v
		}
	}
	s := 0
	t0, c0 := time.Now(), cpuNs()
	for i := 0; i < n; i++ {
		s += f(i, 1)
	}
	fmt.Printf("loop_ns %d\n", time.Since(t0).Nanoseconds())
	fmt.Printf("cpu_ns %d\n", cpuNs()-c0)
	if s == -1 {
		fmt.Println(s)
	}
}
