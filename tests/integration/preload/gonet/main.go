// gonet: what a plain `go build` makes of a program importing net and os/user (for
// tests/integration/preload_go.sh): with cgo enabled, a dynamically and internally linked program
// (runtime/cgo, libc through the Go linker; its ELF entry is _rt0_amd64_linux, no __libc_start_main);
// with -buildmode=pie, the same as a PIE; with CGO_ENABLED=0 -buildmode=pie, a PIE that needs no libc.
// RT0_MANY_THREADS=N starts N goroutines locked to their own threads; once all run it prints the
// program's threads ("tasks: TID..."), then lets them end.
package main

import (
	"fmt"
	"net"
	"os"
	"os/user"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

func tasks() string {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return "?"
	}
	var ids []int
	for _, e := range ents {
		if id, err := strconv.Atoi(e.Name()); err == nil {
			ids = append(ids, id)
		}
	}
	sort.Ints(ids)
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	return strings.Join(s, " ")
}

func main() {
	_, uerr := user.Current()
	_, _, nerr := net.ParseCIDR("10.0.0.0/8")
	if n, _ := strconv.Atoi(os.Getenv("RT0_MANY_THREADS")); n > 0 {
		var p [2]int
		if err := syscall.Pipe(p[:]); err != nil {
			panic(err)
		}
		var started, done sync.WaitGroup
		started.Add(n)
		done.Add(n)
		for i := 0; i < n; i++ {
			go func() {
				runtime.LockOSThread()
				started.Done()
				var b [1]byte
				syscall.Read(p[0], b[:]) // holds its thread until the pipe is closed
				done.Done()
			}()
		}
		started.Wait()
		fmt.Printf("tasks: %s\n", tasks())
		syscall.Close(p[1])
		done.Wait()
		fmt.Printf("many: %d threads, GOMAXPROCS %d\n", n, runtime.GOMAXPROCS(0))
	}
	fmt.Printf("gonet: user %v, net %v\n", uerr == nil, nerr == nil)
}
