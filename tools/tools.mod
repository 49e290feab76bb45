module clouddrive/tools

go 1.26

tool (
	github.com/envoyproxy/protoc-gen-validate
	github.com/go-kratos/kratos/cmd/protoc-gen-go-errors/v2
	github.com/go-kratos/kratos/cmd/protoc-gen-go-http/v2
	github.com/google/gnostic/cmd/protoc-gen-openapi
	github.com/google/wire/cmd/wire
	go.uber.org/mock/mockgen
	google.golang.org/grpc/cmd/protoc-gen-go-grpc
	google.golang.org/protobuf/cmd/protoc-gen-go
)

require (
	github.com/envoyproxy/protoc-gen-validate v1.3.3 // indirect
	github.com/go-kratos/kratos/cmd/protoc-gen-go-errors/v2 v2.0.0-20240725023016-d6fca5e3e984 // indirect
	github.com/go-kratos/kratos/cmd/protoc-gen-go-http/v2 v2.0.0-20260404020628-f149714c1d54 // indirect
	github.com/google/gnostic v0.7.1 // indirect
	github.com/google/gnostic-models v0.7.0 // indirect
	github.com/google/subcommands v1.2.0 // indirect
	github.com/google/wire v0.7.0 // indirect
	github.com/iancoleman/strcase v0.3.0 // indirect
	github.com/lyft/protoc-gen-star/v2 v2.0.4 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	github.com/spf13/afero v1.15.0 // indirect
	go.uber.org/mock v0.6.0 // indirect
	go.yaml.in/yaml/v3 v3.0.4 // indirect
	golang.org/x/mod v0.32.0 // indirect
	golang.org/x/net v0.51.0 // indirect
	golang.org/x/sync v0.19.0 // indirect
	golang.org/x/text v0.34.0 // indirect
	golang.org/x/tools v0.41.0 // indirect
	google.golang.org/genproto v0.0.0-20220519153652-3a47de7e79bd // indirect
	google.golang.org/grpc/cmd/protoc-gen-go-grpc v1.6.2 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
