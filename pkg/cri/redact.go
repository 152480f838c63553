package cri

import (
	"encoding/json"
	"regexp"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Redacted replaces a secret in debug output.
const Redacted = "[REDACTED]"

// secretKey matches names of values that look like credentials: registry
// auth fields, env variables such as DB_PASSWORD, annotations such as token.
var secretKey = regexp.MustCompile(`(?i)(pass|secret|token|key|auth|cred|cert|private|session|cookie|dsn)`)

// credentialFields are AuthConfig's fields that always hold secrets.
var credentialFields = map[protoreflect.Name]bool{
	"password": true, "auth": true, "identity_token": true, "registry_token": true,
}

// Redact returns a copy of m with credentials and secret-looking values
// replaced by Redacted: AuthConfig secrets, env entries and map entries whose
// key looks secret, and the same inside JSON documents carried in string maps
// (the runtime's verbose info, e.g. containerd's registry auth config or the
// runtime spec's process env).
func Redact(m proto.Message) proto.Message {
	c := proto.Clone(m)
	redactMessage(c.ProtoReflect())
	return c
}

func redactMessage(m protoreflect.Message) {
	isKV := m.Descriptor().Name() == "KeyValue"
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			mp := v.Map()
			mp.Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				switch {
				case fd.MapValue().Kind() == protoreflect.MessageKind:
					redactMessage(mv.Message())
				case fd.MapValue().Kind() == protoreflect.StringKind:
					if secretKey.MatchString(k.String()) {
						mp.Set(k, protoreflect.ValueOfString(Redacted))
					} else if s := mv.String(); strings.HasPrefix(strings.TrimSpace(s), "{") {
						mp.Set(k, protoreflect.ValueOfString(redactJSONString(s)))
					}
				}
				return true
			})
		case fd.IsList() && fd.Kind() == protoreflect.MessageKind:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				redactMessage(l.Get(i).Message())
			}
		case fd.Kind() == protoreflect.MessageKind:
			redactMessage(v.Message())
		case fd.Kind() == protoreflect.StringKind && credentialFields[fd.Name()] && v.String() != "":
			m.Set(fd, protoreflect.ValueOfString(Redacted))
		case isKV && fd.Name() == "value" && secretKey.MatchString(m.Get(m.Descriptor().Fields().ByName("key")).String()):
			if fd.Kind() == protoreflect.BytesKind {
				m.Set(fd, protoreflect.ValueOfBytes([]byte(Redacted)))
			} else {
				m.Set(fd, protoreflect.ValueOfString(Redacted))
			}
		}
		return true
	})
}

// redactJSONString redacts a JSON document held in a string; on a parse
// error the string is kept (it carries no structure to redact by).
func redactJSONString(s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	b, err := json.Marshal(RedactJSON(v))
	if err != nil {
		return s
	}
	return string(b)
}

// RedactJSON redacts a decoded JSON value in place and returns it: values
// under secret-looking keys, and "KEY=VALUE" strings (OCI env) whose KEY
// looks secret.
func RedactJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if secretKey.MatchString(k) {
				if _, isObj := val.(map[string]any); !isObj && val != nil {
					t[k] = Redacted
					continue
				}
			}
			t[k] = RedactJSON(val)
		}
	case []any:
		for i, val := range t {
			t[i] = RedactJSON(val)
		}
	case string:
		if k, _, ok := strings.Cut(t, "="); ok && k != "" && !strings.ContainsAny(k, " /:") && secretKey.MatchString(k) {
			return k + "=" + Redacted
		}
	}
	return v
}

func debugJSON(v any) string {
	m, ok := v.(proto.Message)
	if !ok {
		return "?"
	}
	b, err := protojson.MarshalOptions{}.Marshal(Redact(m))
	if err != nil {
		return err.Error()
	}
	return string(b)
}
