package doctor

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ExitMeaning says what a container's exit code usually means: the
// shell's conventions for 1, 2, 126 and 127, and 128+n for a process
// ended by signal n (137 SIGKILL, 139 SIGSEGV, 143 SIGTERM).
func ExitMeaning(code int32) string {
	switch code {
	case 0:
		return "success"
	case 1:
		return "general error"
	case 2:
		return "misuse of a shell builtin, or a usage error"
	case 126:
		return "command found but not executable"
	case 127:
		return "command not found"
	case 128:
		return "invalid exit code"
	case 137:
		return "SIGKILL: killed, by the OOM killer or after the stop grace period"
	case 139:
		return "SIGSEGV: segmentation fault"
	case 143:
		return "SIGTERM: asked to stop"
	case 255:
		return "exit code out of range"
	}
	if code > 128 && code < 128+65 {
		sig := unix.Signal(code - 128)
		if name := unix.SignalName(sig); name != "" {
			return name + ": ended by signal " + strconv.Itoa(int(sig))
		}
		return "ended by signal " + strconv.Itoa(int(code-128))
	}
	if code < 0 {
		return "negative exit code"
	}
	return "application-specific error"
}

// command is a crictl command line for a hint, each argument quoted for a
// POSIX shell when it needs to be.
func command(args ...string) string {
	var b strings.Builder
	b.WriteString("crictl")
	for _, a := range args {
		b.WriteByte(' ')
		b.WriteString(shellQuote(a))
	}
	return b.String()
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_./:=@%+,-", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// SplitHint splits a hint made by command back into its arguments (after
// "crictl"), undoing shellQuote; tests run each hint through the command
// tree with it.
func SplitHint(h string) ([]string, bool) {
	rest, ok := strings.CutPrefix(h, "crictl ")
	if !ok {
		return nil, false
	}
	var args []string
	var cur strings.Builder
	inArg, quoted := false, false
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case quoted && c == '\'':
			quoted = false
		case quoted:
			cur.WriteByte(c)
		case c == '\'':
			quoted, inArg = true, true
		case c == '\\' && i+1 < len(rest):
			i++
			cur.WriteByte(rest[i])
			inArg = true
		case c == ' ':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteByte(c)
			inArg = true
		}
	}
	if quoted {
		return nil, false
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args, true
}
