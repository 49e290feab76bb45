package config

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	nacoscfg "github.com/go-kratos/kratos/contrib/config/nacos/v2"
	kconfig "github.com/go-kratos/kratos/v2/config"
	"github.com/nacos-group/nacos-sdk-go/clients"
	"github.com/nacos-group/nacos-sdk-go/common/constant"
	"github.com/nacos-group/nacos-sdk-go/vo"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// NacosSettings say where a service's configuration lives in Nacos.
type NacosSettings struct {
	Addr      string `json:"addr"`
	Namespace string `json:"namespace"`
	Group     string `json:"group"`
	DataID    string `json:"data_id"`
}

// nacosSettings reads the nacos key of the sources loaded so far; NACOS_ADDR,
// NACOS_NAMESPACE and NACOS_GROUP in the environment win.
func nacosSettings(service string, sources []kconfig.Source, getenv func(string) string) (NacosSettings, error) {
	var n NacosSettings
	c := kconfig.New(kconfig.WithSource(sources...))
	defer c.Close()
	if err := c.Load(); err != nil {
		return n, fmt.Errorf("config: %w", err)
	}
	if v := c.Value("nacos"); v.Load() != nil {
		if err := v.Scan(&n); err != nil {
			return n, fmt.Errorf("config: nacos: %w", err)
		}
	}
	for k, dst := range map[string]*string{"NACOS_ADDR": &n.Addr, "NACOS_NAMESPACE": &n.Namespace, "NACOS_GROUP": &n.Group} {
		if v := getenv(k); v != "" {
			*dst = v
		}
	}
	if n.Group == "" {
		n.Group = "DEFAULT_GROUP"
	}
	if n.DataID == "" && service != "" {
		n.DataID = service + ".yaml"
	}
	return n, nil
}

// nacosSource is the kratos contrib source over Nacos's config API.
func nacosSource(n NacosSettings) (kconfig.Source, error) {
	if n.DataID == "" {
		return nil, fmt.Errorf("config: nacos.data_id is not set")
	}
	host, p, err := net.SplitHostPort(n.Addr)
	if err != nil {
		return nil, fmt.Errorf("config: nacos address %q: %w", n.Addr, err)
	}
	port, err := strconv.ParseUint(p, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("config: nacos address %q: %w", n.Addr, err)
	}
	// The SDK keeps a cache and a log on disk: under the temp folder, not
	// beside the binary.
	dir := filepath.Join(os.TempDir(), "clouddrive-nacos", n.DataID)
	client, err := clients.NewConfigClient(vo.NacosClientParam{
		ClientConfig: &constant.ClientConfig{NamespaceId: n.Namespace, TimeoutMs: 5000, NotLoadCacheAtStart: true,
			LogDir: filepath.Join(dir, "log"), CacheDir: filepath.Join(dir, "cache"), LogLevel: "warn"},
		ServerConfigs: []constant.ServerConfig{*constant.NewServerConfig(host, port)},
	})
	if err != nil {
		return nil, fmt.Errorf("config: nacos: %w", err)
	}
	return nacoscfg.NewConfigSource(client, nacoscfg.WithGroup(n.Group), nacoscfg.WithDataID(n.DataID)), nil
}
