// Package web holds the built single-page app (dist/, made by `make web`)
// for the standalone binary to serve; app/web/webapp serves it. Before any
// build dist/ holds only .gitkeep, so a fresh checkout still compiles.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist is the built app, rooted at dist/.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // "dist" is a valid path: cannot happen
	}
	return sub
}
