package config

import (
	"testing"

	kconfig "github.com/go-kratos/kratos/v2/config"

	confv1 "clouddrive/api/conf/v1"
	"clouddrive/pkg/testkit"
)

var defaults = []byte(`
auth:
  internal_secret: from-file
rate_limit:
  per_client: 100
log:
  level: info
`)

func TestNacosOverlaysAndChangesLiveWithFakeNacos(t *testing.T) {
	nacos := testkit.NewFakeNacos(t)
	nacos.Publish("drive-test.yaml", "DEFAULT_GROUP", "rate_limit:\n  per_client: 5\n")
	t.Setenv("NACOS_ADDR", nacos.Addr())
	s, err := Open("drive-test", defaults, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var c confv1.Common
	if err := s.Scan(&c); err != nil {
		t.Fatal(err)
	}
	if c.GetRateLimit().GetPerClient() != 5 || c.GetLog().GetLevel() != "info" {
		t.Fatalf("Nacos did not overlay the file key by key: %v", &c)
	}
	got := make(chan int64, 4)
	if err := s.Watch("rate_limit.per_client", func(v kconfig.Value) {
		n, _ := v.Int()
		got <- n
	}); err != nil {
		t.Fatal(err)
	}
	nacos.Publish("drive-test.yaml", "DEFAULT_GROUP", "rate_limit:\n  per_client: 2\n")
	if n := <-got; n != 2 {
		t.Fatalf("watched value = %d, want 2", n)
	}
}

func TestSecretsFromTheEnvironment(t *testing.T) {
	t.Setenv("NACOS_ADDR", "")
	t.Setenv("CLOUDDRIVE__AUTH__INTERNAL_SECRET", "from-env")
	t.Setenv("CLOUDDRIVE__DATA__REDIS__PASSWORD", "pw")
	var c confv1.Common
	if err := Load(&c, defaults, ""); err != nil {
		t.Fatal(err)
	}
	if c.GetAuth().GetInternalSecret() != "from-env" || c.GetData().GetRedis().GetPassword() != "pw" {
		t.Fatalf("environment not applied: %v", &c)
	}
	if c.GetRateLimit().GetPerClient() != 100 {
		t.Fatalf("file values lost: %v", &c)
	}
}
