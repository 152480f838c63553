package commands

import (
	"fmt"
)

// The one way crictl reports on stderr: "crictl: " and one escaped line per
// message. Everything a command prints besides its data goes through here.

// printError reports err on stderr.
func (f *Factory) printError(err error) {
	fmt.Fprintf(f.IO.ErrOut, "crictl: %s\n", oneLine(err.Error()))
}

// errorf reports a formatted error on stderr.
func (f *Factory) errorf(format string, args ...any) {
	f.printError(fmt.Errorf(format, args...))
}

// note tells the user something on stderr that is neither data nor a
// failure, e.g. that there was nothing to do.
func (f *Factory) note(msg string) {
	fmt.Fprintf(f.IO.ErrOut, "crictl: %s\n", oneLine(msg))
}

// warnf reports something that did not fail the command.
func (f *Factory) warnf(format string, args ...any) {
	fmt.Fprintf(f.IO.ErrOut, "crictl: warning: %s\n", oneLine(fmt.Sprintf(format, args...)))
}

// reportErrors prints every non-nil error, one line each, and returns
// errSilent when there was any, so the good results stay printed and the
// exit code is 1.
func (f *Factory) reportErrors(errs []error) error {
	failed := false
	for _, err := range errs {
		if err != nil {
			failed = true
			f.printError(err)
		}
	}
	if failed {
		return errSilent
	}
	return nil
}
