package cri

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// DialKind classifies why a unix socket could not be connected.
type DialKind int

// The kinds of dial failure.
const (
	OtherDialError DialKind = iota
	NoSocket                // nothing at the path
	NotSocket               // a file that is not a socket
	Permission              // EACCES
	Refused                 // a socket nobody listens on (runtime restarting)
)

// DialError is a classified failure to connect to the socket.
type DialError struct {
	Kind DialKind
	Path string
	Err  error
}

func (e *DialError) Error() string {
	switch e.Kind {
	case NoSocket:
		return "no such file or directory (is the runtime running? check --runtime-endpoint)"
	case NotSocket:
		return e.Err.Error()
	case Permission:
		return "permission denied (run as root or as a user allowed to use the socket)"
	case Refused:
		return "connection refused (is the runtime running?)"
	}
	return e.Err.Error()
}

func (e *DialError) Unwrap() error { return e.Err }

func classifyDial(path string, err error) *DialError {
	switch {
	case errors.Is(err, syscall.ENOENT):
		return &DialError{Kind: NoSocket, Path: path, Err: err}
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return &DialError{Kind: Permission, Path: path, Err: err}
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ENOTSOCK):
		if fi, serr := os.Stat(path); serr == nil && fi.Mode()&os.ModeSocket == 0 {
			what := "a regular file"
			switch {
			case fi.IsDir():
				what = "a directory"
			case fi.Mode()&os.ModeNamedPipe != 0:
				what = "a FIFO"
			case fi.Mode()&os.ModeDevice != 0:
				what = "a device"
			}
			return &DialError{Kind: NotSocket, Path: path, Err: fmt.Errorf("%s is not a socket (it is %s)", path, what)}
		}
		return &DialError{Kind: Refused, Path: path, Err: err}
	}
	return &DialError{Kind: OtherDialError, Path: path, Err: err}
}
