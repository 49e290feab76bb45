package cli

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"strings"

	filev1 "clouddrive/api/file/v1"
	"clouddrive/app/cli/internal/drivefs"
	"clouddrive/app/cli/internal/transfer"
)

func (a *App) get(ctx context.Context, args []string) error {
	fl := a.flags("get")
	jobs := fl.Int("j", transfer.DefaultJobs, "ranges fetched in parallel")
	force := fl.Bool("f", false, "replace existing local files")
	rest, err := parse(fl, args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("nothing to get")
	}
	if *jobs < 1 || *jobs > 64 {
		return usagef("-j must be 1 to 64")
	}
	remotes, local := rest, "."
	if len(rest) > 1 {
		remotes, local = rest[:len(rest)-1], rest[len(rest)-1]
	}
	// Into LOCAL when it is a folder (or must be one); as LOCAL otherwise.
	into := len(remotes) > 1 || strings.HasSuffix(local, "/") || strings.HasSuffix(local, string(filepath.Separator))
	if fi, err := os.Stat(local); err == nil && fi.IsDir() {
		into = true
	}
	if into {
		if err := os.MkdirAll(local, 0o755); err != nil {
			return err
		}
	}

	s, err := a.session()
	if err != nil {
		return err
	}
	defer s.Close()
	fsys := drivefs.New(s.Files)
	tc := a.transfers(s, fsys, *jobs)
	g := &getRun{a: a, tc: tc, fs: fsys, force: *force}
	for _, r := range remotes {
		n, err := fsys.Resolve(ctx, r)
		if err != nil {
			return err
		}
		target := local
		if into {
			name := n.GetName()
			if n.GetId() == "" {
				name = "drive"
			}
			target = filepath.Join(local, name)
		}
		if err := g.node(ctx, n, drivefs.Clean(r), target); err != nil {
			return err
		}
	}
	if g.failed > 0 {
		return errReported
	}
	return nil
}

type getRun struct {
	a      *App
	tc     *transfer.Config
	fs     *drivefs.FS
	force  bool
	failed int
}

// node downloads a file, or a folder with everything under it.
func (g *getRun) node(ctx context.Context, n *filev1.Node, remote, local string) error {
	if n.GetKind() != drivefs.Folder {
		_, err := g.tc.Download(ctx, transfer.Download{Node: n, Local: local, Display: remote, Force: g.force})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			g.tc.Reporter.Warnf("drive get: %s: %s\n", remote, describe(err))
			g.failed++
		}
		return nil
	}
	if err := os.MkdirAll(local, 0o755); err != nil {
		return err
	}
	children, err := g.fs.List(ctx, n.GetId())
	if err != nil {
		return err
	}
	for _, c := range children {
		name := c.GetName()
		if !safeName(name) {
			g.tc.Reporter.Warnf("drive get: skipping %q in %s (not a usable local name)\n", name, remote)
			g.failed++
			continue
		}
		if err := g.node(ctx, c, path.Join(remote, name), filepath.Join(local, name)); err != nil {
			return err
		}
	}
	return nil
}

// safeName is a drive name that is one local path segment.
func safeName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/`+string(filepath.Separator)+"\x00")
}
