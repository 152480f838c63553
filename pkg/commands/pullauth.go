package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/crictl/crictl/pkg/config"
	"github.com/crictl/crictl/pkg/dockerauth"
	"github.com/crictl/crictl/pkg/imageref"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Environment variables of the pull flags, as the reference.
const (
	envCreds       = "CRICTL_CREDS"
	envAuth        = "CRICTL_AUTH"
	envPullTimeout = "CRICTL_PULL_TIMEOUT"
)

// maxPasswordSize bounds what --password-stdin reads.
const maxPasswordSize = 64 << 10

// pullFlags are the flags of every command that pulls (pull, create,
// run): credentials and the pull timeout.
type pullFlags struct {
	creds, auth, username string
	passwordStdin         bool
	timeoutRaw            string

	// timeout bounds the PullImage call; 0 means no bound.
	timeout time.Duration
	// explicit holds the credentials given by flags, environment or stdin;
	// nil means "look in the docker config.json".
	explicit *runtimeapi.AuthConfig
	// source says where explicit came from, for debug output.
	source string
}

func (o *pullFlags) flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "creds", Destination: &o.creds, Usage: "registry credentials as USERNAME[:PASSWORD]; also $" + envCreds + " (a password here is visible to other users: prefer --username with --password-stdin)"},
		&cli.StringFlag{Name: "auth", Destination: &o.auth, Usage: "registry credentials as base64 of USERNAME:PASSWORD; also $" + envAuth},
		&cli.StringFlag{Name: "username", Aliases: []string{"u"}, Destination: &o.username, Usage: "registry user name; the password is asked on the terminal, or read from stdin with --password-stdin"},
		&cli.BoolFlag{Name: "password-stdin", Destination: &o.passwordStdin, Usage: "read the password of --username from stdin (one trailing newline is dropped)"},
		&cli.StringFlag{Name: "pull-timeout", Aliases: []string{"pt"}, Destination: &o.timeoutRaw, DefaultText: "0, no limit",
			Usage: "bound on the pull as a duration (5m, 90s) or whole seconds, instead of --timeout; 0: no limit; also $" + envPullTimeout},
	}
}

// validate checks the pull flags and reads the credentials given by flags
// and environment, without prompting or reading stdin (see credentials).
// No RPC is made.
func (o *pullFlags) validate(c *cli.Context, f *Factory) error {
	cmd := commandPath(c)
	raw, from := o.timeoutRaw, "--pull-timeout"
	if !c.IsSet("pull-timeout") {
		raw, from = f.Getenv(envPullTimeout), envPullTimeout
	}
	if raw != "" {
		d, err := config.ParseTimeout(raw)
		if err != nil {
			return usagef(cmd, "%s: %v", from, err)
		}
		if d < 0 {
			return usagef(cmd, "%s %s: must be 0 (no limit) or more", from, raw)
		}
		o.timeout = d
	}

	credsSet, authSet, userSet := c.IsSet("creds"), c.IsSet("auth"), c.IsSet("username")
	switch {
	case credsSet && authSet:
		return usagef(cmd, "--creds and --auth cannot be used together")
	case userSet && (credsSet || authSet):
		return usagef(cmd, "--username cannot be used with --creds or --auth")
	case o.passwordStdin && !userSet:
		return usagef(cmd, "--password-stdin needs --username")
	case userSet && o.username == "":
		return usagef(cmd, "--username: the user name is empty")
	}
	creds, auth := o.creds, o.auth
	credsFrom, authFrom := "--creds", "--auth"
	if !credsSet && !authSet && !userSet {
		creds, auth = f.Getenv(envCreds), f.Getenv(envAuth)
		credsFrom, authFrom = "$"+envCreds, "$"+envAuth
		if creds != "" && auth != "" {
			return usagef(cmd, "$%s and $%s are both set; unset one", envCreds, envAuth)
		}
	}
	switch {
	case creds != "":
		user, pass, hasPass := strings.Cut(creds, ":")
		if user == "" {
			return usagef(cmd, "%s: the user name is empty (want USERNAME[:PASSWORD])", credsFrom)
		}
		o.explicit = &runtimeapi.AuthConfig{Username: user, Password: pass}
		o.source = credsFrom
		if credsSet && hasPass && pass != "" {
			fmt.Fprintf(f.IO.ErrOut, "crictl: warning: --creds puts the password on the command line, where other users can read it (ps, /proc); use --username with --password-stdin, $%s or a docker config.json\n", envCreds)
		}
	case auth != "":
		if _, _, err := dockerauth.DecodeAuth(auth); err != nil {
			return usagef(cmd, "%s: %v", authFrom, err)
		}
		o.explicit = &runtimeapi.AuthConfig{Auth: auth}
		o.source = authFrom
	}
	return nil
}

// credentials reads the password of --username, from stdin or the
// terminal. Commands call it only when they will pull, before any RPC.
func (o *pullFlags) credentials(ctx context.Context, c *cli.Context, f *Factory) error {
	if o.username == "" {
		return nil
	}
	var pass []byte
	if o.passwordStdin {
		b, err := io.ReadAll(io.LimitReader(f.IO.In, maxPasswordSize+1))
		if err != nil {
			return fmt.Errorf("--password-stdin: reading stdin: %w", err)
		}
		if len(b) > maxPasswordSize {
			return usagef(commandPath(c), "--password-stdin: more than %d KiB on stdin", maxPasswordSize>>10)
		}
		b = bytes.TrimSuffix(b, []byte("\n"))
		b = bytes.TrimSuffix(b, []byte("\r"))
		if len(b) == 0 {
			return usagef(commandPath(c), "--password-stdin: no password on stdin")
		}
		pass = b
	} else {
		if !f.IO.InTTY {
			return usagef(commandPath(c), "--username asks for the password on the terminal, but stdin is not a terminal; pipe the password with --password-stdin")
		}
		fmt.Fprint(f.IO.ErrOut, "Password: ")
		b, err := f.readPassword(ctx)
		fmt.Fprintln(f.IO.ErrOut)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return err
			}
			return fmt.Errorf("reading the password: %w", err)
		}
		pass = b
	}
	o.explicit = &runtimeapi.AuthConfig{Username: o.username, Password: string(pass)}
	o.source = "--username"
	return nil
}

// readPassword reads a password from the terminal without echo; Ctrl-C
// gives up and restores the terminal.
func (f *Factory) readPassword(ctx context.Context) ([]byte, error) {
	if f.ReadPassword != nil {
		return f.ReadPassword(ctx)
	}
	in, ok := f.IO.In.(*os.File)
	if !ok {
		return nil, errors.New("stdin is not a terminal")
	}
	fd := int(in.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return nil, err
	}
	type result struct {
		b   []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		ch <- result{b, err}
	}()
	select {
	case r := <-ch:
		return r.b, r.err
	case <-ctx.Done():
		_ = term.Restore(fd, state)
		return nil, ctx.Err()
	}
}

// authFor returns the credentials to send for ref: those given by flags,
// environment or stdin, else those of its registry in the docker
// config.json (its credential helper or auths entry), else none.
func (o *pullFlags) authFor(ctx context.Context, f *Factory, ref imageref.Reference) (*runtimeapi.AuthConfig, error) {
	if o.explicit != nil {
		f.debugf("credentials for %s from %s", ref.Registry(), o.source)
		return o.explicit, nil
	}
	res, err := dockerauth.Env{Getenv: f.Getenv}.Lookup(ctx, ref.Registry())
	var he *dockerauth.HelperError
	if errors.As(err, &he) && ctx.Err() == nil {
		// As docker, and as the reference (which reads no config.json): a
		// broken helper must not stop a pull that needs no credentials.
		// It is shown, so a pull that then fails as unauthorized is
		// explained.
		f.warnf("%v; pulling without credentials", err)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c := res.Credentials
	if c == nil {
		if res.Source != "" {
			f.debugf("no credentials for %s from %s", ref.Registry(), res.Source)
		}
		return nil, nil
	}
	f.debugf("credentials for %s from %s", ref.Registry(), res.Source)
	return &runtimeapi.AuthConfig{Username: c.Username, Password: c.Password, IdentityToken: c.IdentityToken, RegistryToken: c.RegistryToken}, nil
}

// debugf prints a debug line when -D is on.
func (f *Factory) debugf(format string, args ...any) {
	if cfg, err := f.Config(); err == nil && cfg.Debug {
		fmt.Fprintf(f.IO.ErrOut, "debug: "+format+"\n", args...)
	}
}
