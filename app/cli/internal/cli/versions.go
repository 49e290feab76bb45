package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	filev1 "clouddrive/api/file/v1"
	storagev1 "clouddrive/api/storage/v1"
	"clouddrive/app/cli/internal/drivefs"
)

// versions is `drive versions PATH`, `drive versions restore PATH VERSION`
// and `drive versions get PATH VERSION -o FILE`.
func (a *App) versions(ctx context.Context, args []string) error {
	fl := a.flags("versions")
	out := fl.String("o", "", "get: the local file to write")
	rest, err := parse(fl, args)
	if err != nil {
		return err
	}
	sub := "list"
	if len(rest) > 0 && (rest[0] == "restore" || rest[0] == "get") {
		sub, rest = rest[0], rest[1:]
		// Flags may follow the subcommand's arguments too.
		if rest, err = parse(fl, rest); err != nil {
			return err
		}
	}
	want := map[string]int{"list": 1, "restore": 2, "get": 2}[sub]
	if len(rest) != want {
		return usagef("versions %s takes %d argument(s)", sub, want)
	}
	if sub == "get" && *out == "" {
		return usagef("versions get needs -o FILE")
	}
	s, err := a.session()
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := drivefs.New(s.Files).Resolve(ctx, rest[0])
	if err != nil {
		return err
	}
	switch sub {
	case "restore":
		r, err := s.Files.RestoreVersion(ctx, &filev1.RestoreVersionRequest{NodeId: n.GetId(), VersionId: rest[1]})
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "restored version %s of %s (%d bytes)\n", rest[1], drivefs.Clean(rest[0]), r.GetSize())
		return nil
	case "get":
		return a.getVersion(ctx, s.Storage, n.GetId(), rest[1], *out)
	}
	r, err := s.Files.ListVersions(ctx, &filev1.ListVersionsRequest{NodeId: n.GetId()})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "%-8s %12s  %-16s  %s\n", "current", fmt.Sprint(r.GetNode().GetSize()), when(r.GetNode().GetUpdatedAt()), r.GetNode().GetContentHash())
	for _, v := range r.GetVersions() {
		fmt.Fprintf(a.Stdout, "%-8s %12d  %-16s  %s\n", v.GetId(), v.GetSize(), when(v.GetCreatedAt()), v.GetContentHash())
	}
	return nil
}

// getVersion streams a kept version into out (through out.part, renamed
// when whole).
func (a *App) getVersion(ctx context.Context, st storagev1.StorageClient, id, version, out string) error {
	stream, err := st.Download(ctx, &storagev1.DownloadRequest{Id: id, VersionId: version})
	if err != nil {
		return err
	}
	part := out + ".part"
	f, err := os.Create(part)
	if err != nil {
		return err
	}
	defer os.Remove(part)
	var size, got int64 = -1, 0
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			f.Close()
			return err
		}
		if size < 0 {
			size = m.GetSize()
		}
		n, err := f.Write(m.GetData())
		got += int64(n)
		if err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if got != size {
		return fmt.Errorf("version %s: got %d of %d bytes", version, got, size)
	}
	if err := os.Rename(part, out); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "%s: %d bytes\n", filepath.Clean(out), got)
	return nil
}

// changes is `drive changes [-wait] [-cursor C]`: the changes after a
// cursor (all kept without one), then the cursor to pass next time.
func (a *App) changes(ctx context.Context, args []string) error {
	fl := a.flags("changes")
	cursor := fl.String("cursor", "", "the cursor a previous run printed")
	wait := fl.Bool("wait", false, "first wait (up to a minute) for a change after the cursor")
	rest, err := parse(fl, args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return usagef("changes takes no arguments")
	}
	s, err := a.session()
	if err != nil {
		return err
	}
	defer s.Close()
	if *wait {
		if *cursor == "" {
			r, err := s.Files.ListChanges(ctx, &filev1.ListChangesRequest{Latest: true})
			if err != nil {
				return err
			}
			*cursor = r.GetCursor()
		}
		if _, err := s.Files.WaitChanges(ctx, &filev1.WaitChangesRequest{Cursor: *cursor, TimeoutSeconds: 60}); err != nil {
			return err
		}
	}
	for {
		r, err := s.Files.ListChanges(ctx, &filev1.ListChangesRequest{Cursor: *cursor, PageSize: 1000})
		if err != nil {
			return err
		}
		for _, c := range r.GetChanges() {
			line := fmt.Sprintf("%d %s %s", c.GetSeq(), c.GetType(), c.GetPath())
			if c.GetOldPath() != "" {
				line += " (was " + c.GetOldPath() + ")"
			}
			fmt.Fprintln(a.Stdout, line)
		}
		*cursor = r.GetCursor()
		if !r.GetHasMore() {
			break
		}
	}
	fmt.Fprintf(a.Stdout, "cursor %s\n", *cursor)
	return nil
}
