// Command webdav runs the WebDAV service alone: /dav/ on its HTTP port,
// locks and properties in Redis, and the user, file and storage services
// over gRPC.
package main

import (
	"net/http"

	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	khttp "github.com/go-kratos/kratos/v2/transport/http"

	"clouddrive/app/webdav"
	"clouddrive/pkg/apiserver"
)

func main() { apiserver.Main("webdav", run) }

func run(confPath string, logger log.Logger) error {
	c, err := webdav.LoadConfig(confPath)
	if err != nil {
		return err
	}
	clients, closeClients, err := webdav.Dial(c)
	if err != nil {
		return err
	}
	defer closeClients()
	m, cleanup, err := webdav.New(c, clients, logger)
	if err != nil {
		return err
	}
	defer cleanup()
	// No request timeout: a PUT or GET is a transfer of any length.
	hs := khttp.NewServer(khttp.Address(c.GetServer().GetHttp().GetAddr()), khttp.Timeout(0))
	hs.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	hs.Handler = m.Mount(hs.Handler)
	app := kratos.New(kratos.Name("webdav"), kratos.Logger(logger), kratos.Server(hs))
	return app.Run()
}
