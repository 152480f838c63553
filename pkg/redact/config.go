package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// ConfigSecrets returns the secrets in a docker config.json (or any JSON
// credentials file): every string under a secret-looking key (auths.*.auth,
// password, identitytoken, registrytoken, ...; not credsStore, which names a
// program), and the password decoded
// from an "auth" value (base64 of user:password). A file that is not JSON
// gives none.
func ConfigSecrets(data []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	var out []string
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, val := range t {
				walk(k, val)
			}
		case []any:
			for _, val := range t {
				walk(key, val)
			}
		case string:
			// credsStore names a helper program, not a secret.
			if t == "" || !SecretKey(key) || strings.EqualFold(key, "credsStore") {
				return
			}
			out = append(out, t)
			if strings.EqualFold(key, "auth") {
				if dec, err := base64.StdEncoding.DecodeString(t); err == nil {
					out = append(out, string(dec))
					if _, pw, ok := strings.Cut(string(dec), ":"); ok {
						out = append(out, pw)
					}
				}
			}
		}
	}
	walk("", v)
	return out
}
