package harness

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cmdline returns the arguments of a live process; a zombie or a vanished
// process has none.
func cmdline(pid int) []string {
	if pid <= 0 {
		return nil
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(string(bytes.TrimRight(b, "\x00")), "\x00")
}

// StatFields returns the fields of /proc/PID/stat after the command name:
// [0] is field 3 (the state), [11] and [12] fields 14 and 15 (user and
// system time in clock ticks), [19] field 22 (the start time).
func StatFields(pid int) ([]string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	// comm (field 2) may contain spaces and parentheses: split after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	return strings.Fields(string(b[i+1:])), nil
}

// startTime is field 22 of /proc/PID/stat (clock ticks since boot): together
// with the pid it names one process, so a reused pid is not mistaken for it.
func startTime(pid int) uint64 {
	f, err := StatFields(pid)
	if err != nil || len(f) < 20 || f[0] == "Z" {
		return 0
	}
	v, _ := strconv.ParseUint(f[19], 10, 64)
	return v
}

// ownerAlive reports whether the process that recorded (pid, start) still runs.
func ownerAlive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	st := startTime(pid)
	return st != 0 && st == start
}

// argsName reports whether a live process's arguments contain needle as a
// whole argument or as the value part of an argument (e.g. --config=X).
func argsName(pid int, needle string) bool {
	for _, a := range cmdline(pid) {
		if a == needle || strings.HasSuffix(a, "="+needle) {
			return true
		}
	}
	return false
}

// allPIDs lists the numeric entries of /proc.
func allPIDs() []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	return pids
}

// shimsOf lists containerd shims serving the containerd at sock (their
// "-address SOCK" argument names it exactly).
func shimsOf(sock string) []int {
	var out []int
	for _, pid := range allPIDs() {
		args := cmdline(pid)
		if len(args) == 0 || !strings.HasPrefix(filepath.Base(args[0]), "containerd-shim") {
			continue
		}
		for i := 1; i+1 < len(args); i++ {
			if args[i] == "-address" && args[i+1] == sock {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}

// terminate sends SIGTERM to the pids that still match (check is re-done
// before every signal, so a pid reused meanwhile is left alone), waits up to
// grace, then SIGKILLs what is left and waits for it to go.
func terminate(pids []int, grace time.Duration, match func(pid int) bool) error {
	var live []int
	for _, pid := range pids {
		if pid > 0 && match(pid) {
			if err := syscall.Kill(pid, syscall.SIGTERM); err == nil {
				live = append(live, pid)
			}
		}
	}
	wait := func(d time.Duration) []int {
		deadline := time.Now().Add(d)
		for {
			var left []int
			for _, pid := range live {
				if match(pid) {
					left = append(left, pid)
				}
			}
			if len(left) == 0 || time.Now().After(deadline) {
				return left
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	left := wait(grace)
	for _, pid := range left {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	live = left
	if left = wait(5 * time.Second); len(left) > 0 {
		return errors.New("processes survived SIGKILL: " + joinInts(left))
	}
	return nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, " ")
}
