package harness

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// registryConfig is a Docker Distribution v2 config on 127.0.0.1:port with
// filesystem storage shared by both registries; with htpasswd set, basic
// auth is required.
func registryConfig(storage string, port int, htpasswd string) string {
	q := strconv.Quote
	s := `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ` + q(storage) + `
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: ` + q(net.JoinHostPort("127.0.0.1", strconv.Itoa(port))) + `
  secret: crictl-e2e-not-a-secret
`
	if htpasswd != "" {
		s += `auth:
  htpasswd:
    realm: crictl-e2e
    path: ` + q(htpasswd) + `
`
	}
	return s
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before the registry binds it; startRegistries then retries.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// registryNames are the two registries: open, and with basic auth.
var registryNames = [2]string{"open", "auth"}

// startRegistries starts (or restarts, on the recorded ports when there are
// any) the open and the auth registry and waits until both answer.
func startRegistries(ctx context.Context, st *state) error {
	bin, err := lookPath("docker-registry")
	if err != nil {
		return err
	}
	dir := filepath.Join(st.Dir, "registry")
	if err := os.MkdirAll(filepath.Join(dir, "storage"), 0o755); err != nil {
		return err
	}
	if st.RegistryUser == "" {
		st.RegistryUser, st.RegistryPassword = "e2e", randomHex(8)
	}
	// MinCost: the registry checks the hash on every request
	hash, err := bcrypt.GenerateFromPassword([]byte(st.RegistryPassword), bcrypt.MinCost)
	if err != nil {
		return err
	}
	htpasswd := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte(st.RegistryUser+":"+string(hash)+"\n"), 0o600); err != nil {
		return err
	}
	st.RegistryPIDs = []int{0, 0}
	hosts := []*string{&st.Registry, &st.AuthRegistry}
	for i, name := range registryNames {
		cfgPath := st.RegistryConfigs[i]
		var lastErr error
		for try := 0; try < 3; try++ {
			port := 0
			if *hosts[i] != "" && try == 0 {
				_, p, _ := net.SplitHostPort(*hosts[i])
				port, _ = strconv.Atoi(p)
			}
			if port == 0 {
				if port, err = freePort(); err != nil {
					return err
				}
			}
			auth := ""
			if name == "auth" {
				auth = htpasswd
			}
			if err := os.WriteFile(cfgPath, []byte(registryConfig(filepath.Join(dir, "storage"), port, auth)), 0o644); err != nil {
				return err
			}
			logPath := filepath.Join(dir, name+".log")
			pid, done, err := startDaemon(logPath, toolEnv(), bin, "serve", cfgPath)
			if err != nil {
				return fmt.Errorf("start registry: %w", err)
			}
			host := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
			if lastErr = waitRegistry(ctx, host, done); lastErr == nil {
				st.RegistryPIDs[i] = pid
				*hosts[i] = host
				break
			}
			lastErr = fmt.Errorf("registry %s on %s: %w: %s", name, host, lastErr, tailFile(logPath, 2))
			_ = terminate([]int{pid}, time.Second, func(p int) bool { return argsName(p, cfgPath) })
		}
		if lastErr != nil {
			return lastErr
		}
	}
	return nil
}

// waitRegistry waits until GET /v2/ answers 200 or 401.
func waitRegistry(ctx context.Context, host string, done <-chan struct{}) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		if code, err := registryStatus(ctx, host, "/v2/"); err == nil && (code == 200 || code == 401) {
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer within 15s")
		}
	}
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

func registryStatus(ctx context.Context, host, path string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, err
	}
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// registryAlive reports whether both recorded registries still run.
func (st *state) registriesAlive() bool {
	if len(st.RegistryPIDs) != 2 {
		return false
	}
	for i, pid := range st.RegistryPIDs {
		if !argsName(pid, st.RegistryConfigs[i]) {
			return false
		}
	}
	return true
}

// pushImage uploads an image to repo on an open registry with the
// distribution HTTP API (monolithic blob uploads) and tags it.
func pushImage(ctx context.Context, host, repo string, im *ociImage, tags []string) error {
	base := "http://" + host + "/v2/" + repo
	// do makes one request and returns the status and headers of its answer
	type answer struct {
		StatusCode int
		Status     string
		Header     http.Header
	}
	do := func(method, u string, body []byte, ctype string) (*answer, error) {
		req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer func() { _ = resp.Body.Close() }()
		_, _ = io.Copy(io.Discard, resp.Body)
		return &answer{resp.StatusCode, resp.Status, resp.Header}, nil
	}
	for d, blob := range im.blobs {
		if d == im.manifestDigest {
			continue
		}
		if resp, err := do(http.MethodHead, base+"/blobs/"+d, nil, ""); err == nil && resp.StatusCode == 200 {
			continue
		}
		resp, err := do(http.MethodPost, base+"/blobs/uploads/", nil, "")
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("push %s: start upload: %s", repo, resp.Status)
		}
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			return fmt.Errorf("push %s: upload location: %w", repo, err)
		}
		u, _ := url.Parse(base)
		loc = u.ResolveReference(loc)
		qv := loc.Query()
		qv.Set("digest", d)
		loc.RawQuery = qv.Encode()
		resp, err = do(http.MethodPut, loc.String(), blob, "application/octet-stream")
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("push %s: upload %s: %s", repo, d, resp.Status)
		}
	}
	for _, tag := range tags {
		resp, err := do(http.MethodPut, base+"/manifests/"+tag, im.manifest, mediaManifest)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("push %s:%s: manifest: %s", repo, tag, resp.Status)
		}
		if got := resp.Header.Get("Docker-Content-Digest"); got != "" && got != im.manifestDigest {
			return fmt.Errorf("push %s:%s: registry says digest %s, want %s", repo, tag, got, im.manifestDigest)
		}
	}
	return nil
}
