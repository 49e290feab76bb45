// Command apisixgen generates the APISIX gateway configuration from the
// protos linked into it (services.go): one grpc-transcode route per RPC with
// a google.api.http rule, labelled with its (clouddrive.annotations.v1.access)
// level, the plain HTTP routes of rawRoutes.go, an upstream per service and
// port, and one proto object (a base64 FileDescriptorSet) per service.
//
//	go run ./tools/apisixgen -out apisix
//
// writes apisix/apisix.yaml (standalone mode), apisix/routes.json (the routes
// as Admin API payloads) and apisix/load.sh (an Admin API loader). It fails,
// writing nothing, when the protos break the gateway's rules (see lintRPC).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/reflect/protoregistry"
)

func main() {
	out := flag.String("out", "apisix", "directory to write the generated files to")
	flag.Parse()
	if err := generate(*out); err != nil {
		fmt.Fprintln(os.Stderr, "apisixgen:", err)
		os.Exit(1)
	}
}

// generate writes every generated file into dir.
func generate(dir string) error {
	files, err := generateFiles(protoregistry.GlobalFiles)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range generatedFiles {
		mode := os.FileMode(0o644)
		if filepath.Ext(name) == ".sh" {
			mode = 0o755
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, files[name], mode); err != nil {
			return err
		}
		if err := os.Chmod(p, mode); err != nil { // WriteFile keeps an existing file's mode
			return err
		}
	}
	return nil
}

// generateFiles returns the generated files' contents by name.
func generateFiles(reg *protoregistry.Files) (map[string][]byte, error) {
	cfg, err := build(reg, collect(reg), rawRoutes)
	if err != nil {
		return nil, err
	}
	return render(cfg)
}
