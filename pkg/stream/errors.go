package stream

import (
	"errors"
	"fmt"
)

// ExitError is a remote command that ran and ended with a non-zero exit
// code.
type ExitError struct {
	Code int
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("command terminated with exit code %d", e.Code)
}

// RemoteError is a failure the streaming server reported on the error
// stream (the command could not be started, the attach failed, ...).
type RemoteError struct {
	Message string
}

func (e *RemoteError) Error() string { return e.Message }

// UpgradeError is a streaming server that answered the upgrade request with
// something other than the protocol switch.
type UpgradeError struct {
	StatusCode int
	Status     string
	// Body is the start of the server's answer, trimmed.
	Body string
	// Location is the target of a refused redirect.
	Location string
}

func (e *UpgradeError) Error() string {
	msg := "upgrade refused: " + e.Status
	if e.Location != "" {
		msg += " (a redirect to " + e.Location + "; redirects are refused)"
	}
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// ErrDetached ends a session whose input carried the detach keys.
var ErrDetached = errors.New("detached")

// LocalWriteError is a failure to write the remote output locally (a closed
// pipe, a full disk); the session is ended.
type LocalWriteError struct {
	Err error
}

func (e *LocalWriteError) Error() string { return "writing output: " + e.Err.Error() }
func (e *LocalWriteError) Unwrap() error { return e.Err }

// panicError is a panic in one of the session's goroutines, turned into an
// error so the caller's deferred clean-up runs.
type panicError struct {
	value any
}

func (e *panicError) Error() string { return fmt.Sprintf("internal error: panic: %v", e.value) }
