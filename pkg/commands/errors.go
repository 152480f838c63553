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

// ExitError ends crictl with the exit code of a command that ran in a
// container (exec, attach); Msg, when set, is printed first.
type ExitError struct {
	Code int
	Msg  string
}

func (e *ExitError) Error() string {
	if e.Msg != "" {
		return e.Msg
	}
	return fmt.Sprintf("exit code %d", e.Code)
}

// silentError has been reported already (e.g. per item); it only sets the
// exit code.
type silentError struct{}

func (silentError) Error() string { return "" }

// errSilent ends the command with exit 1 without another message.
var errSilent error = silentError{}

// exitCode reports an error on stderr, once, and returns the exit code.
func exitCode(errOut func(string), err error) int {
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Msg != "" {
			errOut(ee.Msg)
		}
		return ee.Code
	}
	if errors.Is(err, errSilent) {
		return 1
	}
	if errors.Is(err, context.Canceled) {
		errOut("interrupted")
		return 1
	}
	msg := err.Error()
	var ue *UsageError
	if errors.As(err, &ue) && ue.Cmd != "" {
		msg += fmt.Sprintf(" (see 'crictl %s --help')", ue.Cmd)
	}
	errOut(msg)
	return 1
}

// oneLine escapes a message from crictl or the runtime so it is one safe
// terminal line.
func oneLine(msg string) string {
	return output.Escape(strings.TrimRight(msg, "\n"))
}
