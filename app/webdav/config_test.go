package webdav

import "testing"

// The defaults still fill the shared api/conf/v1 messages the Bootstrap
// embeds: the same keys as before the fold.
func TestDefaultsFillTheSharedConfMessages(t *testing.T) {
	c, err := LoadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if c.GetServer().GetHttp().GetAddr() == "" || len(c.GetServer().GetTrustedProxies()) == 0 {
		t.Fatalf("server = %v, want the HTTP address and the trusted proxies", c.GetServer())
	}
	if c.GetData().GetRedis() == nil || c.GetAuth() == nil {
		t.Fatalf("data = %v, auth = %v: the sections are not read", c.GetData(), c.GetAuth())
	}
}
