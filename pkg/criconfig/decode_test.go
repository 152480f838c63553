package criconfig

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

const snakePod = `
metadata:
  name: web
  namespace: default
  uid: 0c7b7ec1-0c4b-4a43-9b6e-0d3b2a8a7f11
  attempt: 1
hostname: web-host
log_directory: /var/log/pods/web
dns_config:
  servers: [10.96.0.10]
  searches: [default.svc.cluster.local]
  options: ["ndots:5"]
port_mappings:
  - protocol: 0
    container_port: 80
    host_port: 8080
    host_ip: 127.0.0.1
labels:
  app: web
  app.kubernetes.io/name: web
annotations:
  note: "yes"
linux:
  cgroup_parent: /kubepods/besteffort
  sysctls:
    net.ipv4.ip_forward: "1"
  overhead:
    memory_limit_in_bytes: 1048576
  security_context:
    namespace_options:
      network: 2
      pid: 1
      ipc: 0
    run_as_user:
      value: 1000
    readonly_rootfs: true
    supplemental_groups: [1, 2]
    seccomp:
      profile_type: 0
`

const camelPod = `{
  "metadata": {"name": "web", "namespace": "default", "uid": "0c7b7ec1-0c4b-4a43-9b6e-0d3b2a8a7f11", "attempt": 1},
  "hostname": "web-host",
  "logDirectory": "/var/log/pods/web",
  "dnsConfig": {"servers": ["10.96.0.10"], "searches": ["default.svc.cluster.local"], "options": ["ndots:5"]},
  "portMappings": [{"protocol": "TCP", "containerPort": 80, "hostPort": 8080, "hostIp": "127.0.0.1"}],
  "labels": {"app": "web", "app.kubernetes.io/name": "web"},
  "annotations": {"note": "yes"},
  "linux": {
    "cgroupParent": "/kubepods/besteffort",
    "sysctls": {"net.ipv4.ip_forward": "1"},
    "overhead": {"memoryLimitInBytes": "1048576"},
    "securityContext": {
      "namespaceOptions": {"network": "NODE", "pid": "CONTAINER", "ipc": "POD"},
      "runAsUser": {"value": "1000"},
      "readonlyRootfs": true,
      "supplementalGroups": ["1", "2"],
      "seccomp": {"profileType": "RuntimeDefault"}
    }
  }
}`

func TestBothSpellings(t *testing.T) {
	snake, err := DecodePod([]byte(snakePod))
	if err != nil {
		t.Fatal(err)
	}
	camel, err := DecodePod([]byte(camelPod))
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(snake, camel) {
		t.Errorf("snake_case and camelCase files differ:\n%v\n%v", snake, camel)
	}
	ns := snake.GetLinux().GetSecurityContext().GetNamespaceOptions()
	if ns.GetNetwork() != runtimeapi.NamespaceMode_NODE || ns.GetPid() != runtimeapi.NamespaceMode_CONTAINER {
		t.Errorf("enums: %v", ns)
	}
	if snake.GetLinux().GetOverhead().GetMemoryLimitInBytes() != 1048576 || snake.GetLinux().GetSecurityContext().GetRunAsUser().GetValue() != 1000 {
		t.Errorf("int64 fields: %v", snake.GetLinux())
	}
	if snake.GetLabels()["app.kubernetes.io/name"] != "web" || snake.GetAnnotations()["note"] != "yes" {
		t.Errorf("maps: %v %v", snake.GetLabels(), snake.GetAnnotations())
	}
}

// What inspect prints (protojson, lowerCamel, enum names, int64 as
// strings) decodes back to the same message, and so does the proto-name
// form the reference's files use.
func TestProtojsonRoundTrip(t *testing.T) {
	want, err := DecodePod([]byte(snakePod))
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []protojson.MarshalOptions{{}, {UseProtoNames: true}, {UseEnumNumbers: true, EmitDefaultValues: true}} {
		data, err := opts.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodePod(data)
		if err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		if !proto.Equal(got, want) {
			t.Errorf("round trip through %s changed the config", data)
		}
	}
}

func TestContainer(t *testing.T) {
	c, err := DecodeContainer([]byte(`
metadata: {name: app, attempt: 2}
image: {image: busybox:1.36}
command: [sh, -c]
args: ["echo hi; sleep 3600"]
working_dir: /
envs:
  - {key: GREETING, value: "hello world"}
  - key: EMPTY
    value: ""
mounts:
  - {container_path: /data, host_path: /tmp/data, readonly: true, propagation: PROPAGATION_HOST_TO_CONTAINER}
labels: {tier: backend}
log_path: app/0.log
stdin: false
tty: false
linux:
  resources: {cpu_shares: 512, memory_limit_in_bytes: "67108864"}
  security_context:
    capabilities: {add_capabilities: [NET_ADMIN]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.GetImage().GetUserSpecifiedImage() != "busybox:1.36" {
		t.Errorf("user_specified_image not defaulted: %q", c.GetImage().GetUserSpecifiedImage())
	}
	if len(c.GetEnvs()) != 2 || string(c.GetEnvs()[0].GetValue()) != "hello world" {
		t.Errorf("envs: %v", c.GetEnvs())
	}
	if c.GetMounts()[0].GetPropagation() != runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER {
		t.Errorf("mount propagation: %v", c.GetMounts()[0])
	}
	if c.GetLinux().GetResources().GetMemoryLimitInBytes() != 64<<20 || c.GetMetadata().GetAttempt() != 2 {
		t.Errorf("numbers: %v", c)
	}
	c, err = DecodeContainer([]byte(`{"metadata":{"name":"a"},"image":{"image":"busybox","user_specified_image":"bb"}}`))
	if err != nil || c.GetImage().GetUserSpecifiedImage() != "bb" {
		t.Errorf("user_specified_image given: %v %v", c, err)
	}
}

func TestUIDDefault(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	const doc = `{"metadata":{"name":"a","namespace":"b"}}`
	p1, err := DecodePod([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := DecodePod([]byte(doc))
	if !uuid.MatchString(p1.GetMetadata().GetUid()) || p1.GetMetadata().GetUid() == p2.GetMetadata().GetUid() {
		t.Errorf("uids %q %q: want distinct random UUIDs", p1.GetMetadata().GetUid(), p2.GetMetadata().GetUid())
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, doc, path string
		want            []string
	}{
		{"unknown nested field", `{"metadata":{"name":"a","namespace":"b"},"linux":{"security_context":{"bogus":1}}}`, ".linux.security_context.bogus", []string{"unknown field", "namespace_options"}},
		{"misspelt field", `{"metadata":{"name":"a","namespace":"b"},"log_dir":"/x"}`, ".log_dir", []string{"unknown field (did you mean log_directory?)"}},
		{"other spelling", `{"metadata":{"name":"a","namespace":"b"},"LogDirectory":"/x"}`, ".LogDirectory", []string{"did you mean log_directory?"}},
		{"both spellings", `{"metadata":{"name":"a","namespace":"b"},"log_directory":"/a","logDirectory":"/b"}`, ".log_directory", []string{"given twice (as logDirectory and log_directory)"}},
		{"number for string", `{"metadata":{"name":5,"namespace":"b"}}`, ".metadata.name", []string{"want a string, got the number 5", "quote it"}},
		{"yaml boolean for string", "metadata:\n  name: yes\n  namespace: b\n", ".metadata.name", []string{"want a string, got the boolean true"}},
		{"string for int", `{"metadata":{"name":"a","namespace":"b","attempt":"1"}}`, ".metadata.attempt", []string{"want an integer"}},
		{"uint32 overflow", `{"metadata":{"name":"a","namespace":"b","attempt":99999999999}}`, ".metadata.attempt", []string{"out of range for uint32"}},
		{"negative uint32", `{"metadata":{"name":"a","namespace":"b","attempt":-1}}`, ".metadata.attempt", []string{"out of range for uint32"}},
		{"fraction", `{"metadata":{"name":"a","namespace":"b","attempt":1.5}}`, ".metadata.attempt", []string{"want an integer"}},
		{"enum out of range", `{"metadata":{"name":"a","namespace":"b"},"linux":{"security_context":{"namespace_options":{"network":7}}}}`, ".linux.security_context.namespace_options.network", []string{"7 is not a NamespaceMode", "2 (NODE)"}},
		{"enum unknown name", `{"metadata":{"name":"a","namespace":"b"},"linux":{"security_context":{"namespace_options":{"network":"HOST"}}}}`, ".linux.security_context.namespace_options.network", []string{`"HOST" is not a NamespaceMode`}},
		{"enum wrong type", `{"metadata":{"name":"a","namespace":"b"},"port_mappings":[{"protocol":true}]}`, ".port_mappings[0].protocol", []string{"want an enum name or number"}},
		{"object for list", `{"metadata":{"name":"a","namespace":"b"},"port_mappings":{"protocol":0}}`, ".port_mappings", []string{"want a list, got an object"}},
		{"null in list", `{"metadata":{"name":"a","namespace":"b"},"dns_config":{"servers":[null]}}`, ".dns_config.servers[0]", []string{"got null"}},
		{"map value type", `{"metadata":{"name":"a","namespace":"b"},"labels":{"app.kubernetes.io/name":1}}`, `.labels["app.kubernetes.io/name"]`, []string{"want a string"}},
		{"list for map", `{"metadata":{"name":"a","namespace":"b"},"labels":["a"]}`, ".labels", []string{"want a map"}},
		{"scalar for message", `{"metadata":"web"}`, ".metadata", []string{"want an object, got the string \"web\""}},
		{"missing metadata", `{"hostname":"x"}`, ".metadata", []string{"required field is missing"}},
		{"missing name", `{"metadata":{"namespace":"b"}}`, ".metadata.name", []string{"required field is missing"}},
		{"missing namespace", `{"metadata":{"name":"a"}}`, ".metadata.namespace", []string{"required field is missing"}},
		{"null metadata", `{"metadata":null}`, ".metadata", []string{"required field is missing"}},
		{"top-level list", `[1]`, "", []string{"want an object", "got a list"}},
		{"empty", ``, "", []string{"the file is empty"}},
		{"yaml syntax", "metadata:\n\tname: a\n", "", []string{"not valid YAML or JSON", "not tabs"}},
		{"truncated json", `{"metadata": {"name": "a"`, "", []string{"not valid YAML or JSON"}},
		{"duplicate key", "metadata:\n  name: a\n  name: b\n  namespace: c\n", "", []string{"already"}},
		{"alias bomb", aliasBomb, "", []string{"excessive aliasing"}},
		{"deep nesting", strings.Repeat("[", 200) + strings.Repeat("]", 200), "", []string{"levels deep"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodePod([]byte(tc.doc))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *Error", err)
			}
			if tc.path != "" && e.Path != tc.path {
				t.Errorf("path %q, want %q (%v)", e.Path, tc.path, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

const aliasBomb = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

func TestContainerRequired(t *testing.T) {
	for doc, path := range map[string]string{
		`{"image":{"image":"x"}}`:                        ".metadata",
		`{"metadata":{},"image":{"image":"x"}}`:          ".metadata.name",
		`{"metadata":{"name":"a"}}`:                      ".image",
		`{"metadata":{"name":"a"},"image":{}}`:           ".image.image",
		`{"metadata":{"name":"a"},"envs":[{"v":1}]}`:     ".envs[0].v",
		`{"metadata":{"name":"a"},"envs":[{"value":1}]}`: ".envs[0].value",
	} {
		_, err := DecodeContainer([]byte(doc))
		var e *Error
		if !errors.As(err, &e) || e.Path != path {
			t.Errorf("%s: err %v, want path %s", doc, err, path)
		}
	}
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("pod.yaml", snakePod)
	if _, err := LoadPod(good); err != nil {
		t.Fatal(err)
	}
	bad := write("bad.yaml", "metadata: {name: a, namespace: b}\nbogus: 1\n")
	if _, err := LoadPod(bad); err == nil || err.Error() != bad+": .bogus: unknown field (did you mean hostname?)" && !strings.HasPrefix(err.Error(), bad+": .bogus: unknown field") {
		t.Errorf("LoadPod(bad) = %v", err)
	}
	for path, want := range map[string]string{
		dir: "is a directory",
		write("big.yaml", strings.Repeat("#", MaxSize+1)): "over the 4 MiB limit",
	} {
		_, err := LoadContainer(path)
		if err == nil || !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadContainer(%s) = %v, want %q", path, err, want)
		}
	}
	// the reference's words for a missing file, which scripts grep for
	missing := filepath.Join(dir, "missing.yaml")
	if _, err := LoadContainer(missing); err == nil || err.Error() != "config at "+missing+" not found" {
		t.Errorf("LoadContainer(missing) = %v", err)
	}
}

// A billion-laughs file and a deeply nested one are refused quickly.
func TestBombsAreFast(t *testing.T) {
	for _, doc := range []string{aliasBomb, strings.Repeat("[", 100000) + strings.Repeat("]", 100000), strings.Repeat("a:\n ", 5000)} {
		start := time.Now()
		if _, err := DecodePod([]byte(doc)); err == nil {
			t.Errorf("a bomb decoded")
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v", d)
		}
	}
}

func TestSchema(t *testing.T) {
	pod := PodSchema()
	if string(pod) != string(PodSchema()) {
		t.Fatal("schema is not deterministic")
	}
	var doc struct {
		Schema string                     `json:"$schema"`
		Ref    string                     `json:"$ref"`
		Defs   map[string]json.RawMessage `json:"$defs"`
	}
	if err := json.Unmarshal(pod, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != SchemaDraft || doc.Ref != "#/$defs/PodSandboxConfig" {
		t.Errorf("header: %+v", doc)
	}
	for def, want := range map[string]string{
		"PodSandboxConfig":      `"log_directory"`,
		"NamespaceOption":       `"enum": [`,
		"LinuxPodSandboxConfig": `"cgroup_parent"`,
		"PodSandboxMetadata":    `"required": [`,
	} {
		if !strings.Contains(string(doc.Defs[def]), want) && !strings.Contains(indent(doc.Defs[def]), want) {
			t.Errorf("$defs.%s lacks %s: %s", def, want, doc.Defs[def])
		}
	}
	if !strings.Contains(string(pod), `"NODE"`) || strings.Contains(string(pod), "logDirectory") {
		t.Errorf("enum names missing or camelCase properties present")
	}
	ctr := ContainerSchema()
	if !strings.Contains(string(ctr), `"#/$defs/ContainerConfig"`) || !strings.Contains(string(ctr), `"KeyValue"`) {
		t.Errorf("container schema: %.200s", ctr)
	}
}

func indent(raw json.RawMessage) string {
	var v any
	_ = json.Unmarshal(raw, &v)
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// FuzzDecodePod: no input panics; every error is an *Error, one line, and
// every error about the structure names a JSON path; what decodes
// survives a round trip through inspect's JSON form.
func FuzzDecodePod(f *testing.F) {
	for _, s := range []string{snakePod, camelPod, aliasBomb, `{"metadata":{"name":5}}`, "[", "metadata: {name: a, namespace: b, attempt: -1}", `{"metadata":{"name":"a","namespace":"b"},"linux":{"security_context":{"namespace_options":{"network":"NODE"}}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodePod(data)
		checkErr(t, err)
		if err != nil {
			return
		}
		js, err := protojson.Marshal(p)
		if err != nil {
			return // invalid UTF-8 in a string field cannot be marshaled
		}
		back, err := DecodePod(js)
		if err != nil || !proto.Equal(back, p) {
			t.Fatalf("round trip of %s: %v", js, err)
		}
	})
}

func FuzzDecodeContainer(f *testing.F) {
	for _, s := range []string{`{"metadata":{"name":"a"},"image":{"image":"b"},"envs":[{"key":"K","value":"V"}]}`, "metadata: {name: a}\nimage: {image: b}\nlinux: {resources: {cpu_shares: 2}}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := DecodeContainer(data)
		checkErr(t, err)
	})
}

func checkErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is a %T, not an *Error", err, err)
	}
	if !e.Syntax && !strings.HasPrefix(e.Path, ".") && !strings.HasPrefix(e.Path, "[") && !strings.HasPrefix(e.Msg, "want an object") {
		t.Fatalf("structural error names no path: %v", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("error is not one line: %q", err)
	}
}

// The examples in docs/examples decode, and docs/config-files.md shows
// them as they are.
func TestDocExamples(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "config-files.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name, load := range map[string]func(string) error{
		"pod.yaml":       func(p string) error { _, err := LoadPod(p); return err },
		"container.yaml": func(p string) error { _, err := LoadContainer(p); return err },
	} {
		path := filepath.Join("..", "..", "docs", "examples", name)
		if err := load(path); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc), "```yaml\n"+string(data)+"```") {
			t.Errorf("docs/config-files.md does not show docs/examples/%s as it is", name)
		}
	}
}
