package cli

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"clouddrive/app/cli/internal/drivefs"
	"clouddrive/app/cli/internal/progress"
	"clouddrive/app/cli/internal/transfer"
)

// putItem is one file (or folder, with local "") to make on the drive.
type putItem struct {
	local     string // "" for a folder
	remoteDir string // clean drive path of the folder it goes into
	name      string
	size      int64
}

func (a *App) put(ctx context.Context, args []string) error {
	fl := a.flags("put")
	jobs := fl.Int("j", transfer.DefaultJobs, "chunks sent in parallel")
	rename := fl.Bool("rename", false, `on a name conflict keep both ("a (1).txt"); by default a file of the same content counts as done and another fails`)
	rest, err := parse(fl, args)
	if err != nil {
		return err
	}
	if len(rest) < 2 {
		return usagef("need local files or folders and a drive folder")
	}
	if *jobs < 1 || *jobs > 64 {
		return usagef("-j must be 1 to 64")
	}
	locals, dest := rest[:len(rest)-1], drivefs.Clean(rest[len(rest)-1])

	// The plan: every folder and file, before the first byte is sent.
	var items []putItem
	var total int64
	for _, l := range locals {
		got, err := a.plan(l, dest)
		if err != nil {
			return err
		}
		for _, it := range got {
			total += it.size
		}
		items = append(items, got...)
	}

	s, err := a.session()
	if err != nil {
		return err
	}
	defer s.Close()
	fsys := drivefs.New(s.Files)
	tc := a.transfers(s, fsys, *jobs)
	if _, err := fsys.MkdirAll(ctx, dest); err != nil {
		return fmt.Errorf("%s: %w", dest, err)
	}
	var files, instant, existing, failed int
	for _, it := range items {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		remote := path.Join(it.remoteDir, it.name)
		if it.local == "" {
			if _, err := fsys.MkdirAll(ctx, remote); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				tc.Reporter.Warnf("drive put: %s: %s\n", remote, describe(err))
				failed++
			}
			continue
		}
		parent, err := fsys.MkdirAll(ctx, it.remoteDir)
		if err == nil {
			var r *transfer.UploadResult
			r, err = tc.Upload(ctx, transfer.Upload{Local: it.local, ParentID: parent.GetId(), Name: it.name,
				Display: remote, OnConflict: onConflict(*rename)})
			if err == nil {
				files++
				if r.Instant {
					instant++
				}
				if r.Existing {
					existing++
				}
				continue
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		tc.Reporter.Warnf("drive put: %s: %s\n", it.local, describe(err))
		failed++
	}
	if len(items) > 1 {
		tc.Reporter.Printf("%d file(s), %s: %d instant, %d already there, %d failed\n", files, progress.Bytes(total),
			instant, existing, failed)
	}
	if failed > 0 {
		return errReported
	}
	return nil
}

// plan lists what putting local into the drive folder dest makes: the file
// itself, or the folder and everything under it (symbolic links to files
// are followed, links to folders skipped).
func (a *App) plan(local, dest string) ([]putItem, error) {
	fi, err := os.Stat(local)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(local)
	if err != nil {
		return nil, err
	}
	base := filepath.Base(abs)
	if !fi.IsDir() {
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s: not a regular file", local)
		}
		return []putItem{{local: local, remoteDir: dest, name: base, size: fi.Size()}}, nil
	}
	if base == string(filepath.Separator) || base == "." {
		return nil, fmt.Errorf("%s: name the folder to upload", local)
	}
	var items []putItem
	err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(filepath.Dir(abs), p)
		if err != nil {
			return err
		}
		parts := strings.Split(filepath.ToSlash(rel), "/")
		dir := path.Join(append([]string{dest}, parts[:len(parts)-1]...)...)
		name := parts[len(parts)-1]
		switch {
		case d.IsDir():
			items = append(items, putItem{remoteDir: dir, name: name})
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			items = append(items, putItem{local: p, remoteDir: dir, name: name, size: info.Size()})
		case d.Type()&fs.ModeSymlink != 0:
			info, err := os.Stat(p)
			if err != nil || !info.Mode().IsRegular() {
				fmt.Fprintf(a.Stderr, "drive put: skipping %s (a link to a folder or to nothing)\n", p)
				return nil
			}
			items = append(items, putItem{local: p, remoteDir: dir, name: name, size: info.Size()})
		default:
			fmt.Fprintf(a.Stderr, "drive put: skipping %s (not a regular file)\n", p)
		}
		return nil
	})
	return items, err
}
