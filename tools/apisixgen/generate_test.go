package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoregistry"
)

// moduleRoot is the directory of the clouddrive module's go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil {
			line, _, _ := strings.Cut(string(b), "\n")
			if strings.TrimSpace(line) == "module clouddrive" {
				return dir
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod of module clouddrive above the test's directory")
		}
		dir = parent
	}
}

// firstDiff returns the 1-based line where a and b first differ, and the two lines.
func firstDiff(a, b []byte) (int, string, string) {
	sa, sb := bufio.NewScanner(bytes.NewReader(a)), bufio.NewScanner(bytes.NewReader(b))
	sa.Buffer(nil, 1<<24)
	sb.Buffer(nil, 1<<24)
	for n := 1; ; n++ {
		okA, okB := sa.Scan(), sb.Scan()
		if !okA && !okB {
			return n, "", ""
		}
		if la, lb := sa.Text(), sb.Text(); okA != okB || la != lb {
			return n, clip(la), clip(lb)
		}
	}
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// (a) apisix/ holds exactly what the generator writes from the linked protos,
// so changing a proto's annotations without `make apisix` fails `make test`.
func TestCommittedFilesAreCurrent(t *testing.T) {
	root := moduleRoot(t)
	dir := t.TempDir()
	if err := generate(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range generatedFiles {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		committed := filepath.Join(root, "apisix", name)
		got, err := os.ReadFile(committed)
		if err != nil {
			t.Errorf("apisix/%s: %v; run `make apisix`", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			n, g, w := firstDiff(got, want)
			t.Errorf("apisix/%s is stale; run `make apisix` (go run ./tools/apisixgen -out apisix).\n"+
				"first difference at line %d:\n  committed: %s\n  generated: %s", name, n, g, w)
		}
		if filepath.Ext(name) == ".sh" {
			if fi, err := os.Stat(committed); err == nil && fi.Mode()&0o111 == 0 {
				t.Errorf("apisix/%s is not executable", name)
			}
		}
	}
}

// Generating twice gives the same bytes: no map order, time or path leaks in.
func TestGenerationIsDeterministic(t *testing.T) {
	a, err := generateFiles(protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		b, err := generateFiles(protoregistry.GlobalFiles)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range generatedFiles {
			if !bytes.Equal(a[name], b[name]) {
				t.Fatalf("%s differs between two runs", name)
			}
		}
	}
}

// The standalone file must end with #END or APISIX never loads it.
func TestStandaloneFileEndsWithEND(t *testing.T) {
	files, err := generateFiles(protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	y := files["apisix.yaml"]
	if !bytes.HasSuffix(y, []byte("\n#END\n")) {
		t.Fatalf("apisix.yaml does not end with #END: %q", y[max(0, len(y)-40):])
	}
	for _, key := range []string{"\nroutes:\n", "\nupstreams:\n", "\nprotos:\n"} {
		if !bytes.Contains(y, []byte(key)) {
			t.Errorf("apisix.yaml has no top-level %q", strings.TrimSpace(key))
		}
	}
	// APISIX substitutes ${{VAR}} in apisix.yaml; nothing generated may look like it.
	if bytes.Contains(y, []byte("${{")) {
		t.Error("apisix.yaml contains ${{, which APISIX reads as an environment variable")
	}
}

func TestJSONToYAML(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{}`, ``},
		{`{"a":"b"}`, "a: b\n"},
		{`{"a":{"b":1,"c":true,"d":null}}`, "a:\n  b: 1\n  c: true\n  d: null\n"},
		{`{"l":["GET","POST"]}`, "l: [GET, POST]\n"},
		{`{"l":[]}`, "l: []\n"},
		{`{"o":{}}`, "o: {}\n"},
		{`{"l":[{"id":"x","nodes":{"h:1":1}},{"id":"z"}]}`,
			"l:\n  - id: x\n    nodes:\n      \"h:1\": 1\n  - id: z\n"},
		// YAML 1.1 reads y and n as booleans.
		{`{"n":"y"}`, "\"n\": \"y\"\n"},
		{`{"l":[["a"],[{"b":"c"}]]}`, "l:\n  - [a]\n  -\n    - b: c\n"},
		// Keys keep document order.
		{`{"z":"1","a":"2"}`, "z: \"1\"\na: \"2\"\n"},
	}
	for _, tt := range tests {
		got, err := jsonToYAML([]byte(tt.in))
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if string(got) != tt.want {
			t.Errorf("jsonToYAML(%s) =\n%s\nwant\n%s", tt.in, got, tt.want)
		}
	}
}

func TestScalarQuoting(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/v1/user/login", "/v1/user/login"},
		{"user-grpc", "user-grpc"},
		{"clouddrive.user.v1.User", "clouddrive.user.v1.User"},
		{"user:9000", `"user:9000"`},
		{"yes", `"yes"`},
		{"No", `"No"`},
		{"null", `"null"`},
		{"1", `"1"`},
		{"-x", `"-x"`},
		{"a b", `"a b"`},
		{"", `""`},
		{"ab+/=", `"ab+/="`},
		{"#END", `"#END"`},
		{"a\"b", `"a\"b"`},
	}
	for _, tt := range tests {
		if got := scalar(tt.in); got != tt.want {
			t.Errorf("scalar(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	if got := fmt.Sprint(scalar(true), scalar(nil)); got != "truenull" {
		t.Errorf("scalar(true), scalar(nil) = %s", got)
	}
}
