package dockerauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/crictl/crictl/pkg/imageref"
	"github.com/crictl/crictl/pkg/output"
)

// maxConfigSize bounds the config.json read.
const maxConfigSize = 1 << 20

// hubServerURL is the key and server URL docker uses for Docker Hub.
const hubServerURL = "https://index.docker.io/v1/"

// ConfigPath is $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json,
// else "" (no config). getenv nil means os.Getenv.
func ConfigPath(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	if dir := getenv("DOCKER_CONFIG"); dir != "" {
		return filepath.Join(dir, "config.json")
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".docker", "config.json")
	}
	return ""
}

// DecodeAuth splits a base64 "user:password" as docker and the runtimes
// do. The error never contains the input.
func DecodeAuth(auth string) (user, pass string, err error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(auth))
	if err != nil {
		return "", "", errors.New("not valid base64 (want base64 of USERNAME:PASSWORD)")
	}
	user, pass, ok := strings.Cut(string(b), ":")
	if !ok || user == "" {
		return "", "", errors.New("does not decode to USERNAME:PASSWORD")
	}
	return user, pass, nil
}

// authEntry is one entry of config.json's "auths".
type authEntry struct {
	Auth          string `json:"auth"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	IdentityToken string `json:"identitytoken"`
	RegistryToken string `json:"registrytoken"`
}

// configFile is what crictl reads of a docker config.json.
type configFile struct {
	path        string
	Auths       map[string]authEntry `json:"auths"`
	CredsStore  string               `json:"credsStore"`
	CredHelpers map[string]string    `json:"credHelpers"`
}

// loadConfig reads a docker config.json; a missing file is (nil, nil). A
// file that cannot be read or parsed is an error naming the file, never
// its content.
func loadConfig(path string) (*configFile, error) {
	data, err := readSmallFile(path, maxConfigSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("docker config %s: %w", path, err)
	}
	cfg := &configFile{path: path}
	if err := json.Unmarshal(data, cfg); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, fmt.Errorf("docker config %s: %s is a JSON %s, want a %s", path, output.Escape(te.Field), te.Value, te.Type)
		}
		return nil, fmt.Errorf("docker config %s: not valid JSON", path)
	}
	return cfg, nil
}

// helperFor returns the credential helper of registry (the part after
// docker-credential-) and the setting that names it, e.g.
// "credHelpers.quay.io" or "credsStore"; "" when none applies. An empty
// credHelpers value means "no helper for this registry", as in docker.
func (c *configFile) helperFor(registry string) (name, setting string, err error) {
	name, setting = c.CredsStore, "credsStore"
	if keys := matchingKeys(c.CredHelpers, registry); len(keys) > 0 {
		name, setting = c.CredHelpers[keys[0]], "credHelpers."+output.Escape(keys[0])
	}
	if name != "" && !validHelperName(name) {
		return "", "", fmt.Errorf("docker config %s: %s %q is not a credential helper name (want the part after docker-credential-, such as \"pass\")", c.path, setting, name)
	}
	return name, setting, nil
}

// validHelperName refuses names that would make docker-credential-NAME a
// path or an option: letters, digits, '.', '_' and '-', not starting with
// '.' or '-'.
func validHelperName(name string) bool {
	if name == "" || name[0] == '.' || name[0] == '-' {
		return false
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}

// authsEntry finds the credentials of registry in "auths" and the key they
// are under; nil when there are none.
func (c *configFile) authsEntry(registry string) (*Credentials, string, error) {
	for _, k := range matchingKeys(c.Auths, registry) {
		e := c.Auths[k]
		cr := &Credentials{Username: e.Username, Password: e.Password, IdentityToken: e.IdentityToken, RegistryToken: e.RegistryToken}
		if e.Auth != "" {
			user, pass, err := DecodeAuth(e.Auth)
			if err != nil {
				return nil, "", fmt.Errorf("docker config %s: auths.%s.auth %w", c.path, output.Escape(k), err)
			}
			cr.Username, cr.Password = user, pass
		}
		if cr.empty() {
			continue // e.g. an entry kept for a credential helper
		}
		return cr, k, nil
	}
	return nil, "", nil
}

// matchingKeys returns the keys of m that name registry, best first: the
// exact key, then the others (such as https://index.docker.io/v1/ for
// docker.io) in byte order.
func matchingKeys[V any](m map[string]V, registry string) []string {
	want := registryHost(registry)
	var keys []string
	for k := range m {
		if registryHost(k) == want {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		ei, ej := keys[i] == registry, keys[j] == registry
		if ei != ej {
			return ei
		}
		return keys[i] < keys[j]
	})
	return keys
}

// registryHost reduces a config.json key or a reference's registry to a
// host[:port]: no scheme, no path, lower case, and Docker Hub's aliases
// as docker.io.
func registryHost(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	s, _, _ = strings.Cut(s, "/")
	s = strings.ToLower(s)
	switch s {
	case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return imageref.DefaultDomain
	}
	return s
}

// serverURL is what docker gives a credential helper for registry:
// https://index.docker.io/v1/ for Docker Hub, else the registry itself.
func serverURL(registry string) string {
	if registryHost(registry) == imageref.DefaultDomain {
		return hubServerURL
	}
	return registry
}

// readSmallFile reads a regular file of at most max bytes.
func readSmallFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("larger than %d KiB", max>>10)
	}
	return io.ReadAll(io.LimitReader(f, max))
}
