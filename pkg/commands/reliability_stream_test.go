package commands

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writePEM writes a certificate as PEM into a fresh file.
func writePEM(t *testing.T, der []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// otherCA is a self-signed CA certificate that signed nothing crictl meets.
func otherCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other CA"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<33, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// An https streaming server is verified only when --tls-ca is given (as in
// the reference): then its certificate must chain to that CA and be valid
// for --tls-sni (default localhost). Without it the session is set up
// unverified. The server here answers 404 to the upgrade, so a request
// that got through TLS ends in "404".
func TestStreamTLSVerification(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	hs := httptest.NewUnstartedServer(http.NotFoundHandler())
	hs.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes
	hs.StartTLS()
	t.Cleanup(hs.Close)
	e.srv.SetStreamURL("Exec", hs.URL+"/exec/x")
	serverCA := writePEM(t, hs.Certificate().Raw)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "404 Not Found"},
		{[]string{"--tls-ca", serverCA, "--tls-sni", "127.0.0.1"}, "404 Not Found"},
		{[]string{"--tls-ca", writePEM(t, otherCA(t)), "--tls-sni", "127.0.0.1"}, "certificate signed by unknown authority"},
		{[]string{"--tls-ca", serverCA}, "not localhost"},
	} {
		args := append(append([]string{"exec"}, tc.args...), "nginx", "ls")
		oneError(t, e.runArgs(args...), tc.want)
	}
}

// allow-remote-stream: true in the config file lets a stream URL on another
// machine through, as --allow-remote-stream does (reliability matrix #59).
func TestRemoteStreamAllowedByConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	e.srv.SetStreamURL("Exec", "http://203.0.113.7:10010/exec/token")
	oneError(t, e.run("-t 300ms exec nginx ls"), `points at "203.0.113.7", which is not this machine`)
	if err := os.WriteFile(e.vars["CRI_CONFIG_FILE"], []byte("allow-remote-stream: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := e.run("-t 300ms exec nginx ls")
	if r.code != 1 || strings.Contains(r.stderr, "not this machine") || !strings.Contains(r.stderr, "203.0.113.7") {
		t.Errorf("with allow-remote-stream: true: exit %d stderr %q, want an attempt to connect", r.code, r.stderr)
	}
}
