package stream

import (
	"net"
	"net/url"
	"strings"
	"testing"
)

func TestCheckLocal(t *testing.T) {
	local := func() ([]net.Addr, error) {
		return []net.Addr{&net.IPNet{IP: net.ParseIP("10.1.2.3"), Mask: net.CIDRMask(24, 32)}, &net.IPNet{IP: net.ParseIP("fd00::5"), Mask: net.CIDRMask(64, 128)}}, nil
	}
	for raw, ok := range map[string]bool{
		"http://127.0.0.1:10010/exec/x": true,
		"http://127.3.4.5:1/x":          true,
		"http://[::1]:1/x":              true,
		"http://localhost:1/x":          true,
		"http://LOCALHOST/x":            true,
		"http://10.1.2.3:1/x":           true,
		"http://[fd00::5]:1/x":          true,
		"http://10.1.2.4:1/x":           false,
		"https://203.0.113.9:443/x":     false,
		"http://evil.example.com/x":     false,
		"http://127.0.0.1.nip.io/x":     false,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		err = CheckLocal(u, local)
		if (err == nil) != ok {
			t.Errorf("%s: %v", raw, err)
		}
		if err != nil && !strings.Contains(err.Error(), `"`+u.Hostname()+`"`) {
			t.Errorf("%s: the refusal does not name the host: %v", raw, err)
		}
	}
}
