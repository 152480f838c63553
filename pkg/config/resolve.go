package config

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"time"

	"github.com/crictl/crictl/pkg/hostroot"
)

// Environment variables.
const (
	EnvConfigFile      = "CRI_CONFIG_FILE"
	EnvRuntimeEndpoint = "CONTAINER_RUNTIME_ENDPOINT"
	EnvImageEndpoint   = "IMAGE_SERVICE_ENDPOINT"
	// EnvReadOnly turns read-only mode on (1 or true); it cannot be turned
	// off by a flag.
	EnvReadOnly = "CRICTL_READ_ONLY"
)

// Flags holds the global flags as given on the command line; nil means the
// flag was not given.
type Flags struct {
	ConfigPath      *string
	RuntimeEndpoint *string
	ImageEndpoint   *string
	Timeout         *time.Duration
	Debug           *bool
	MaxRetries      *int
	// HostRoot, when set to another directory than "/" (--host-root), is
	// where the host's file system is mounted: the default config file is
	// the host's, read under it. An explicit --config or CRI_CONFIG_FILE
	// names a file as this process sees it.
	HostRoot *hostroot.Root
	// ReadOnly can turn read-only mode on, never off.
	ReadOnly *bool
}

// Source tells where a setting came from.
type Source int

// Sources, from weakest to strongest.
const (
	FromDefault Source = iota
	FromFile
	FromEnv
	FromFlag
)

func (s Source) String() string {
	switch s {
	case FromFile:
		return "config file"
	case FromEnv:
		return "environment"
	case FromFlag:
		return "flag"
	}
	return "default"
}

// Resolved is the outcome of Resolve.
type Resolved struct {
	Config
	// Path is the config file consulted (it may not exist when it is the
	// default path), and FileLoaded reports whether it was read.
	Path       string
	FileLoaded bool
	// HostFile: the file is the host's, read under Flags.HostRoot, so the
	// endpoints it names are host paths.
	HostFile bool
	// Sources maps every key of Keys to where its value came from.
	Sources map[string]Source
	// Warnings are the config file's (File.Warnings).
	Warnings []string
}

// ConfigPath returns the config file to use: --config, then CRI_CONFIG_FILE,
// then DefaultPath. explicit is false for the default path. A nil getenv is
// an empty environment.
func ConfigPath(flags Flags, getenv func(string) string) (path string, explicit bool, err error) {
	return configPath(flags, getenv, DefaultPath)
}

func configPath(flags Flags, getenv func(string) string, defaultPath string) (path string, explicit bool, err error) {
	if flags.ConfigPath != nil {
		if *flags.ConfigPath == "" {
			return "", false, errors.New("--config: empty path")
		}
		return *flags.ConfigPath, true, nil
	}
	if getenv != nil {
		if p := getenv(EnvConfigFile); p != "" {
			return p, true, nil
		}
	}
	if root := flags.HostRoot; root != nil && !root.IsHost() {
		p, err := root.Resolve(defaultPath)
		return p, false, err
	}
	return defaultPath, false, nil
}

// Resolve computes the effective configuration: flag > environment > file >
// default. The config file is the one ConfigPath names; a missing default
// file is skipped, any other problem with the file is an error. A nil getenv
// is an empty environment.
func Resolve(flags Flags, getenv func(string) string) (Resolved, error) {
	return resolve(flags, getenv, DefaultPath)
}

func resolve(flags Flags, getenv func(string) string, defaultPath string) (Resolved, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	path, explicit, err := configPath(flags, getenv, defaultPath)
	if err != nil {
		return Resolved{}, err
	}
	r := Resolved{Config: Default(), Path: path, Sources: make(map[string]Source, len(keyKinds))}
	for _, k := range keyKinds {
		r.Sources[k.name] = FromDefault
	}

	load := Load
	if root := flags.HostRoot; root != nil && !root.IsHost() && !explicit {
		load = func(string) (*File, error) { return loadUnder(root, defaultPath) }
		r.HostFile = true
	}
	f, err := load(path)
	switch {
	case err == nil:
		r.FileLoaded = true
		r.Warnings = f.Warnings()
		cfg, set := f.Config()
		for key := range set {
			copyValue(&r.Config, cfg, key)
			r.Sources[key] = FromFile
		}
	case !explicit && errors.Is(err, fs.ErrNotExist):
	default:
		return Resolved{}, err
	}

	endpoint := func(key, env string, flag *string, dst *string) error {
		if flag != nil {
			if *flag == "" {
				return fmt.Errorf("--%s: empty value", key)
			}
			*dst, r.Sources[key] = *flag, FromFlag
		} else if v := getenv(env); v != "" {
			*dst, r.Sources[key] = v, FromEnv
		}
		return nil
	}
	if err := endpoint(KeyRuntimeEndpoint, EnvRuntimeEndpoint, flags.RuntimeEndpoint, &r.RuntimeEndpoint); err != nil {
		return Resolved{}, err
	}
	if err := endpoint(KeyImageEndpoint, EnvImageEndpoint, flags.ImageEndpoint, &r.ImageEndpoint); err != nil {
		return Resolved{}, err
	}
	if flags.Timeout != nil && *flags.Timeout > 0 {
		r.Timeout, r.Sources[KeyTimeout] = *flags.Timeout, FromFlag
	}
	if flags.Debug != nil {
		r.Debug, r.Sources[KeyDebug] = *flags.Debug, FromFlag
	}
	if flags.MaxRetries != nil {
		r.MaxRetries, r.Sources[KeyMaxRetries] = *flags.MaxRetries, FromFlag
	}
	// Read-only mode: the file, the environment or the flag can turn it
	// on, and none can turn off what another turned on.
	if v := getenv(EnvReadOnly); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return Resolved{}, fmt.Errorf("%s=%q: want 1 or true (0 or false: no effect)", EnvReadOnly, v)
		}
		if on && !r.ReadOnly {
			r.ReadOnly, r.Sources[KeyReadOnly] = true, FromEnv
		}
	}
	if flags.ReadOnly != nil && *flags.ReadOnly && !r.ReadOnly {
		r.ReadOnly, r.Sources[KeyReadOnly] = true, FromFlag
	}
	return r, nil
}

// ReadOnlyReason names the setting that turned read-only mode on, for the
// refusal message, or "" when it is off.
func (r *Resolved) ReadOnlyReason() string {
	if !r.ReadOnly {
		return ""
	}
	switch r.Sources[KeyReadOnly] {
	case FromEnv:
		return EnvReadOnly + "=" + "1"
	case FromFlag:
		return "--read-only"
	}
	return KeyReadOnly + ": true in " + r.Path
}
