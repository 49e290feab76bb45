package cli

import (
	"context"
	"fmt"
	"path"
	"time"

	filev1 "clouddrive/api/file/v1"
	"clouddrive/app/cli/internal/drivefs"
)

// displayName is a node's name as ls shows it: folders end in "/".
func displayName(n *filev1.Node) string {
	if n.GetKind() == drivefs.Folder {
		return n.GetName() + "/"
	}
	return n.GetName()
}

func (a *App) ls(ctx context.Context, args []string) error {
	fl := a.flags("ls")
	long := fl.Bool("l", false, "long format: kind, size in bytes, modification time, name")
	rest, err := parse(fl, args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		rest = []string{"/"}
	}
	s, err := a.session()
	if err != nil {
		return err
	}
	defer s.Close()
	fs := drivefs.New(s.Files)
	failed := false
	for i, p := range rest {
		n, err := fs.Resolve(ctx, p)
		if err != nil {
			fmt.Fprintf(a.Stderr, "drive ls: %s\n", describe(err))
			failed = true
			continue
		}
		items := []*filev1.Node{n}
		if n.GetKind() == drivefs.Folder {
			if items, err = fs.List(ctx, n.GetId()); err != nil {
				return err
			}
			if len(rest) > 1 {
				if i > 0 {
					fmt.Fprintln(a.Stdout)
				}
				fmt.Fprintf(a.Stdout, "%s:\n", drivefs.Clean(p))
			}
		}
		for _, it := range items {
			if !*long {
				fmt.Fprintln(a.Stdout, displayName(it))
				continue
			}
			kind, size := "-", fmt.Sprint(it.GetSize())
			if it.GetKind() == drivefs.Folder {
				kind, size = "d", "-"
			}
			fmt.Fprintf(a.Stdout, "%s %12s  %s  %s\n", kind, size, when(it.GetUpdatedAt()), displayName(it))
		}
	}
	if failed {
		return errReported
	}
	return nil
}

// when shows an RFC 3339 time in local time, to the minute.
func when(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Sprintf("%-16s", s)
	}
	return t.Local().Format("2006-01-02 15:04")
}

func (a *App) mkdir(ctx context.Context, args []string) error {
	fl := a.flags("mkdir")
	parents := fl.Bool("p", false, "make missing parents; an existing folder is fine")
	rest, err := parse(fl, args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("no folder named")
	}
	s, err := a.session()
	if err != nil {
		return err
	}
	defer s.Close()
	fs := drivefs.New(s.Files)
	failed := false
	for _, p := range rest {
		if *parents {
			_, err = fs.MkdirAll(ctx, p)
		} else {
			_, err = fs.Mkdir(ctx, p)
		}
		if err != nil {
			fmt.Fprintf(a.Stderr, "drive mkdir: %s: %s\n", drivefs.Clean(p), describe(err))
			failed = true
		}
	}
	if failed {
		return errReported
	}
	return nil
}

func onConflict(rename bool) string {
	if rename {
		return "rename"
	}
	return "fail"
}

func (a *App) mv(ctx context.Context, args []string) error { return a.moveOrCopy(ctx, "mv", args) }
func (a *App) cp(ctx context.Context, args []string) error { return a.moveOrCopy(ctx, "cp", args) }

// moveOrCopy: "SRC... DIR" moves or copies into an existing folder;
// "SRC NEW" into NEW's folder under the name NEW.
func (a *App) moveOrCopy(ctx context.Context, name string, args []string) error {
	fl := a.flags(name)
	rename := fl.Bool("rename", false, `on a name conflict keep both ("a (1).txt") instead of failing`)
	rest, err := parse(fl, args)
	if err != nil {
		return err
	}
	if len(rest) < 2 {
		return usagef("need a source and a destination")
	}
	srcs, dst := rest[:len(rest)-1], rest[len(rest)-1]
	s, err := a.session()
	if err != nil {
		return err
	}
	defer s.Close()
	fs := drivefs.New(s.Files)
	nodes := make([]*filev1.Node, len(srcs))
	ids := make([]string, len(srcs))
	for i, p := range srcs {
		if drivefs.Clean(p) == "/" {
			return fmt.Errorf("/: the root cannot be moved or copied")
		}
		if nodes[i], err = fs.Resolve(ctx, p); err != nil {
			return err
		}
		ids[i] = nodes[i].GetId()
	}
	call := func(parent, conflict string) ([]*filev1.Node, error) {
		var r *filev1.NodesReply
		var err error
		if name == "mv" {
			r, err = s.Files.Move(ctx, &filev1.MoveRequest{Ids: ids, ParentId: parent, OnConflict: conflict})
		} else {
			r, err = s.Files.Copy(ctx, &filev1.CopyRequest{Ids: ids, ParentId: parent, OnConflict: conflict})
		}
		return r.GetItems(), err
	}
	target, err := fs.Resolve(ctx, dst)
	switch {
	case err == nil && target.GetKind() == drivefs.Folder:
		items, err := call(target.GetId(), onConflict(*rename))
		if err != nil {
			return err
		}
		for _, it := range items {
			fmt.Fprintf(a.Stdout, "%s → %s\n", name, path.Join(drivefs.Clean(dst), it.GetName()))
		}
		return nil
	case err == nil:
		if *rename {
			break // handled below: into dst's folder, keeping both
		}
		return fmt.Errorf("%s exists (use -rename to keep both)", drivefs.Clean(dst))
	case !drivefs.IsNotFound(err):
		return err
	}
	if len(srcs) > 1 {
		if err == nil {
			return fmt.Errorf("%s: not a folder", drivefs.Clean(dst))
		}
		return fmt.Errorf("%s: no such folder", drivefs.Clean(dst))
	}
	// One source to a new name.
	dir, newName := drivefs.Split(dst)
	parent, err := fs.Resolve(ctx, dir)
	if err != nil {
		return err
	}
	if parent.GetKind() != drivefs.Folder {
		return fmt.Errorf("%s: not a folder", dir)
	}
	src := nodes[0]
	var out *filev1.Node
	if name == "mv" && src.GetParentId() == parent.GetId() {
		out, err = s.Files.Rename(ctx, &filev1.RenameRequest{Id: src.GetId(), Name: newName, OnConflict: onConflict(*rename)})
		if err != nil {
			return err
		}
	} else {
		// Into the folder first (keeping both if the old name is taken
		// there), then to the new name.
		items, err := call(parent.GetId(), "rename")
		if err != nil {
			return err
		}
		if len(items) != 1 {
			return fmt.Errorf("the server answered %d nodes for one", len(items))
		}
		out = items[0]
		if out.GetName() != newName {
			if out, err = s.Files.Rename(ctx, &filev1.RenameRequest{Id: out.GetId(), Name: newName, OnConflict: onConflict(*rename)}); err != nil {
				return fmt.Errorf("%s is at %s, but renaming it failed: %w", drivefs.Clean(srcs[0]),
					path.Join(dir, items[0].GetName()), err)
			}
		}
	}
	fmt.Fprintf(a.Stdout, "%s → %s\n", name, path.Join(dir, out.GetName()))
	return nil
}

// deleteBatch is the most ids one Delete takes.
const deleteBatch = 1000

func (a *App) rm(ctx context.Context, args []string) error {
	fl := a.flags("rm")
	recursive := fl.Bool("r", false, "folders too, with everything in them")
	rest, err := parse(fl, args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("nothing to remove")
	}
	s, err := a.session()
	if err != nil {
		return err
	}
	defer s.Close()
	fs := drivefs.New(s.Files)
	var ids []string
	failed := false
	for _, p := range rest {
		n, err := fs.Resolve(ctx, p)
		switch {
		case err != nil:
			fmt.Fprintf(a.Stderr, "drive rm: %s\n", describe(err))
			failed = true
		case n.GetId() == "":
			fmt.Fprintln(a.Stderr, "drive rm: /: the root cannot be removed")
			failed = true
		case n.GetKind() == drivefs.Folder && !*recursive:
			fmt.Fprintf(a.Stderr, "drive rm: %s: is a folder (use -r)\n", drivefs.Clean(p))
			failed = true
		default:
			ids = append(ids, n.GetId())
		}
	}
	var trashed int64
	for len(ids) > 0 {
		batch := ids[:min(len(ids), deleteBatch)]
		ids = ids[len(batch):]
		r, err := s.Files.Delete(ctx, &filev1.DeleteRequest{Ids: batch})
		if err != nil {
			return err
		}
		trashed += r.GetTrashed()
	}
	if trashed > 0 {
		fmt.Fprintf(a.Stdout, "moved %d item(s) to the trash\n", trashed)
	}
	if failed {
		return errReported
	}
	return nil
}
