package main

// A rawRoute is a plain HTTP route: APISIX proxies it unchanged to the owning
// service's HTTP port (the <svc>-http upstream), with no transcoding. Bytes
// (uploads, downloads) and browser navigation (OAuth redirects) go this way.
type rawRoute struct {
	// Name makes the route id (<svc>.http.<name>); letters, digits, '-', '.'.
	Name string
	// Path is matched exactly; Prefix matches the path and everything below
	// it (APISIX "<prefix>/*"). Set exactly one.
	Path, Prefix string
	// Methods, upper case; none for every method.
	Methods []string
	// Service is the owning service ("user", "storage").
	Service string
	// Access documents who may call it, as for RPCs ("public" for signed
	// download URLs, which carry their own proof): the service itself
	// enforces it; APISIX only carries it as a label.
	Access string
	// Source names the Go constant that the service registers the route
	// with ("app/user/internal/service/oauth.go:GitHubBeginPath"); a test
	// checks that the constant still has this value.
	Source string
}

// rawRoutes is the table of every plain HTTP route. Keep it sorted by path.
var rawRoutes = []rawRoute{
	{
		// WebDAV: every method (PROPFIND, MKCOL, LOCK...), Basic
		// authentication with an app password, checked by the service.
		Name: "webdav", Prefix: "/dav/", Service: "webdav", Access: "public",
		Source: "app/webdav/webdav.go:Prefix",
	},
	{
		Name: "download-archive", Path: "/v1/download/archive", Methods: []string{"GET"},
		Service: "storage", Access: "public", Source: "app/storage/internal/biz/download.go:ZipPath",
	},
	{
		Name: "download-file", Path: "/v1/download/file", Methods: []string{"GET", "HEAD"},
		Service: "storage", Access: "public", Source: "app/storage/internal/biz/download.go:FilePath",
	},
	{
		Name: "download-thumbnail", Path: "/v1/download/thumbnail", Methods: []string{"GET", "HEAD"},
		Service: "storage", Access: "public", Source: "app/storage/internal/biz/thumbnail.go:ThumbnailPath",
	},
	{
		Name: "upload-chunk", Prefix: "/v1/upload", Methods: []string{"PUT"},
		Service: "storage", Access: "bearer", Source: "app/storage/internal/service/bytes.go:ChunkPrefix",
	},
	{
		Name: "oauth-github", Path: "/v1/user/oauth/github", Methods: []string{"GET"},
		Service: "user", Access: "public", Source: "app/user/internal/service/oauth.go:GitHubBeginPath",
	},
	{
		Name: "oauth-github-callback", Path: "/v1/user/oauth/github/callback", Methods: []string{"GET"},
		Service: "user", Access: "public", Source: "app/user/internal/service/oauth.go:GitHubCallbackPath",
	},
}
