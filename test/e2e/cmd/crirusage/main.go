// Command crirusage runs a program and prints what the kernel measured of
// it, for `make bench`:
//
//	crirusage PROG [ARG...]
//	→ WALL_NS USER_US SYS_US MAXRSS_KIB EXIT_CODE
//
// PROG's standard streams are /dev/null. The peak RSS must be taken this
// way, not from the benchmark driver's own children: Linux charges a child
// the peak RSS of the memory it had before exec, and a Go parent starts
// children with vfork (CLONE_VM), so a child of a large process reports
// the parent's peak. crirusage itself is small (about 2 MiB), which is then
// the lowest peak it can report.
//
// Without arguments it exits at once: a static Go binary that does
// nothing, the floor of process start-up.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		return
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		fmt.Fprintln(os.Stderr, "crirusage:", err)
		os.Exit(127)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if ru == nil {
		ru = &syscall.Rusage{}
	}
	fmt.Println(wall.Nanoseconds(), ru.Utime.Nano()/1000, ru.Stime.Nano()/1000, ru.Maxrss, cmd.ProcessState.ExitCode())
}
