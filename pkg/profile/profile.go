// Package profile writes pprof profiles of one crictl run, for
// --profile-cpu and --profile-mem (as the reference crictl has them).
//
// Both files are in the gzipped protobuf format `go tool pprof` reads. The
// heap profile is written at the end of the run, after a collection, so
// it shows what the run allocated and what it still held. Go samples one
// allocation per 512 KiB by default, which sees almost nothing of a run
// that allocates a few MiB; while a heap profile is asked for, the rate is
// one sample per 4 KiB.
package profile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
)

// memProfileRate is the heap sampling rate while --profile-mem is given.
const memProfileRate = 4096

// Session is a run being profiled.
type Session struct {
	cpu     *os.File
	mem     *os.File
	oldRate int
}

// Start starts a CPU profile into cpuPath and prepares a heap profile into
// memPath; an empty path asks for none. Both files are created now, so a
// bad path fails before the command does any work. With both paths empty
// it returns nil, nil: Stop on a nil Session does nothing.
func Start(cpuPath, memPath string) (*Session, error) {
	if cpuPath == "" && memPath == "" {
		return nil, nil
	}
	if cpuPath != "" && memPath != "" && samePath(cpuPath, memPath) {
		return nil, fmt.Errorf("--profile-cpu and --profile-mem name the same file %s; give each its own", cpuPath)
	}
	s := &Session{}
	if memPath != "" {
		f, err := os.Create(memPath)
		if err != nil {
			return nil, fmt.Errorf("cannot write the memory profile: %w", err)
		}
		s.mem = f
		s.oldRate = runtime.MemProfileRate
		runtime.MemProfileRate = memProfileRate
	}
	if cpuPath != "" {
		f, err := os.Create(cpuPath)
		if err != nil {
			s.abort()
			return nil, fmt.Errorf("cannot write the CPU profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			_ = f.Close()
			s.abort()
			return nil, fmt.Errorf("cannot start the CPU profile %s: %w", cpuPath, err)
		}
		s.cpu = f
	}
	return s, nil
}

func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == ab
}

// abort undoes a partial Start: the memory profile's file is left empty.
func (s *Session) abort() {
	if s.mem != nil {
		_ = s.mem.Close()
		runtime.MemProfileRate = s.oldRate
	}
}

// Stop ends the CPU profile and writes the heap profile, and reports the
// first file that could not be written completely.
func (s *Session) Stop() error {
	if s == nil {
		return nil
	}
	var errs []error
	if s.cpu != nil {
		pprof.StopCPUProfile()
		if err := s.cpu.Close(); err != nil {
			errs = append(errs, fmt.Errorf("cannot write the CPU profile: %w", err))
		}
		s.cpu = nil
	}
	if s.mem != nil {
		// Up to date: what the last collection freed is counted.
		runtime.GC()
		err := pprof.Lookup("heap").WriteTo(s.mem, 0)
		if cerr := s.mem.Close(); err == nil {
			err = cerr
		}
		runtime.MemProfileRate = s.oldRate
		if err != nil {
			errs = append(errs, fmt.Errorf("cannot write the memory profile %s: %w", s.mem.Name(), err))
		}
		s.mem = nil
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errors.New(errs[0].Error() + "; " + errs[1].Error())
}
