package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/crictl/crictl/pkg/output"
)

// UsageError is a mistake in the command line; the message is followed by a
// hint to run --help.
type UsageError struct {
	Cmd string
	Err error
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usagef(cmd, format string, args ...any) error {
	return &UsageError{Cmd: cmd, Err: fmt.Errorf(format, args...)}
}

// ExitError ends crictl with the non-zero exit code of a command that ran
// in a container (exec, attach).
type ExitError struct {
	Code int
}

func (e *ExitError) Error() string { return fmt.Sprintf("exit code %d", e.Code) }

// detachedError ends an exec or attach session the user detached from:
// exit 0, with a note that the process goes on.
type detachedError struct {
	keys string
}

func (e *detachedError) Error() string {
	return "detached (" + e.keys + "); the process goes on in the container"
}

// silentError has been reported already (e.g. per item); it only sets the
// exit code.
type silentError struct{}

func (silentError) Error() string { return "" }

// errSilent ends the command with exit 1 without another message.
var errSilent error = silentError{}

// exitStatus is how a command's error ends crictl: the exit code, and the
// message to print on stderr ("" for none).
func exitStatus(err error) (code int, msg string) {
	var ee *ExitError
	var de *detachedError
	var ue *UsageError
	switch {
	case err == nil:
		return 0, ""
	case errors.As(err, &ee):
		return ee.Code, ""
	case errors.As(err, &de):
		return 0, de.Error()
	case errors.Is(err, errSilent):
		return 1, ""
	case errors.Is(err, context.Canceled):
		return 1, "interrupted"
	case errors.As(err, &ue) && ue.Cmd != "":
		return 1, fmt.Sprintf("%s (see 'crictl %s --help')", err, ue.Cmd)
	}
	return 1, err.Error()
}

// oneLine escapes a message from crictl or the runtime so it is one safe
// terminal line.
func oneLine(msg string) string {
	return output.Escape(strings.TrimRight(msg, "\n"))
}
