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

// notef tells the user something that is neither data nor a problem (a
// change made, nothing to do), in the words given.
func (f *Factory) notef(format string, args ...any) {
	fmt.Fprintf(f.IO.ErrOut, "crictl: %s\n", oneLine(fmt.Sprintf(format, args...)))
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
