package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The keys of the config file, in canonical order.
const (
	KeyRuntimeEndpoint   = "runtime-endpoint"
	KeyImageEndpoint     = "image-endpoint"
	KeyTimeout           = "timeout"
	KeyDebug             = "debug"
	KeyPullImageOnCreate = "pull-image-on-create"
	KeyDisablePullOnRun  = "disable-pull-on-run"
	KeyMaxRetries        = "max-retries"
	// KeyReadOnly makes crictl refuse every command that can change the
	// node; crictl's own key (the reference does not know it).
	KeyReadOnly = "read-only"
	// KeyAllowRemoteStream lets exec, attach and port-forward connect to a
	// streaming server that is not on this machine; crictl's own key.
	KeyAllowRemoteStream = "allow-remote-stream"
)

// Defaults.
const (
	DefaultPath       = "/etc/crictl.yaml"
	DefaultTimeout    = 2 * time.Second
	DefaultMaxRetries = 3
)

// Config holds the effective settings.
type Config struct {
	RuntimeEndpoint   string
	ImageEndpoint     string
	Timeout           time.Duration
	Debug             bool
	PullImageOnCreate bool
	DisablePullOnRun  bool
	MaxRetries        int
	ReadOnly          bool
	AllowRemoteStream bool
}

// Default returns the built-in defaults. Empty endpoints mean "not
// configured": the caller probes the default runtime endpoints, and uses the
// runtime endpoint for images.
func Default() Config {
	return Config{Timeout: DefaultTimeout, MaxRetries: DefaultMaxRetries}
}

type valueKind int

const (
	kindString valueKind = iota
	kindTimeout
	kindBool
	kindInt
)

// keyKinds are the keys with their kind and the Config field that holds
// each value.
var keyKinds = [...]struct {
	name  string
	kind  valueKind
	field func(*Config) any
}{
	{KeyRuntimeEndpoint, kindString, func(c *Config) any { return &c.RuntimeEndpoint }},
	{KeyImageEndpoint, kindString, func(c *Config) any { return &c.ImageEndpoint }},
	{KeyTimeout, kindTimeout, func(c *Config) any { return &c.Timeout }},
	{KeyDebug, kindBool, func(c *Config) any { return &c.Debug }},
	{KeyPullImageOnCreate, kindBool, func(c *Config) any { return &c.PullImageOnCreate }},
	{KeyDisablePullOnRun, kindBool, func(c *Config) any { return &c.DisablePullOnRun }},
	{KeyMaxRetries, kindInt, func(c *Config) any { return &c.MaxRetries }},
	{KeyReadOnly, kindBool, func(c *Config) any { return &c.ReadOnly }},
	{KeyAllowRemoteStream, kindBool, func(c *Config) any { return &c.AllowRemoteStream }},
}

// field returns a pointer to key's field in c (*string, *bool, *int or
// *time.Duration), or nil for an unknown key.
func field(c *Config, key string) any {
	for _, k := range keyKinds {
		if k.name == key {
			return k.field(c)
		}
	}
	return nil
}

// Keys returns the config file keys in canonical order.
func Keys() []string {
	keys := make([]string, len(keyKinds))
	for i, k := range keyKinds {
		keys[i] = k.name
	}
	return keys
}

func kindOf(key string) (valueKind, bool) {
	for _, k := range keyKinds {
		if k.name == key {
			return k.kind, true
		}
	}
	return 0, false
}

func unknownKeyError(key string) error {
	return fmt.Errorf("no configuration option named %s (valid keys: %s)", quoteShort(key), strings.Join(Keys(), ", "))
}

// ParseTimeout parses a timeout given as whole seconds ("5") or as a Go
// duration ("2s", "500ms", "1m30s"). It does not apply the rule that zero or
// less means the default; callers do.
func ParseTimeout(s string) (time.Duration, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err == nil {
		const maxSeconds = math.MaxInt64 / int64(time.Second)
		if n > maxSeconds || n < -maxSeconds {
			return 0, fmt.Errorf("timeout %s is out of range", quoteShort(s))
		}
		return time.Duration(n) * time.Second, nil
	}
	if errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("timeout %s is out of range", quoteShort(s))
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid timeout %s (%s)", quoteShort(s), wantTimeout)
	}
	return d, nil
}

const wantTimeout = "want whole seconds such as 5, or a duration such as 2s or 500ms"

// formatTimeout writes whole seconds as an integer, so that the reference,
// which reads integer seconds only, can read the file too.
func formatTimeout(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10)
	}
	return d.String()
}

// setValue parses text as the value of key and stores it in c.
func setValue(c *Config, key, text string) error {
	kind, ok := kindOf(key)
	if !ok {
		return unknownKeyError(key)
	}
	switch kind {
	case kindString:
		if i := strings.IndexFunc(text, unicode.IsControl); i >= 0 {
			return fmt.Errorf("invalid value %s for %s (control characters are not allowed)", quoteShort(text), key)
		}
		*field(c, key).(*string) = text
	case kindTimeout:
		d, err := ParseTimeout(text)
		if err != nil {
			return fmt.Errorf("invalid value %s for %s (%s)", quoteShort(text), key, wantTimeout)
		}
		*field(c, key).(*time.Duration) = d
	case kindBool:
		var b bool
		switch text {
		case "true":
			b = true
		case "false":
		default:
			return fmt.Errorf("invalid value %s for %s (want true or false)", quoteShort(text), key)
		}
		*field(c, key).(*bool) = b
	case kindInt:
		n, err := strconv.Atoi(text)
		if err != nil {
			return fmt.Errorf("invalid value %s for %s (want an integer)", quoteShort(text), key)
		}
		*field(c, key).(*int) = n
	}
	return nil
}

// formatValue renders key's value in c the way the file stores it.
func formatValue(c Config, key string) string {
	switch v := field(&c, key).(type) {
	case *string:
		return *v
	case *time.Duration:
		return formatTimeout(*v)
	case *bool:
		return strconv.FormatBool(*v)
	case *int:
		return strconv.Itoa(*v)
	}
	return ""
}

// overrides reports whether key's value in c, read from a file or the
// environment, replaces the default: empty endpoints and timeouts of zero or
// less do not.
func overrides(c Config, key string) bool {
	switch key {
	case KeyRuntimeEndpoint:
		return c.RuntimeEndpoint != ""
	case KeyImageEndpoint:
		return c.ImageEndpoint != ""
	case KeyTimeout:
		return c.Timeout > 0
	}
	return true
}

// copyValue copies key's value from src to dst.
func copyValue(dst *Config, src Config, key string) {
	switch d := field(dst, key).(type) {
	case *string:
		*d = *field(&src, key).(*string)
	case *time.Duration:
		*d = *field(&src, key).(*time.Duration)
	case *bool:
		*d = *field(&src, key).(*bool)
	case *int:
		*d = *field(&src, key).(*int)
	}
}

// quoteShort quotes s for an error message, cutting very long values.
func quoteShort(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
