package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"clouddrive/app/cli/internal/drivefs"
	"clouddrive/app/cli/internal/syncer"
	"clouddrive/app/cli/internal/transfer"
)

// sync keeps LOCAL and a drive folder in two-way sync (see package syncer).
func (a *App) sync(ctx context.Context, args []string) error {
	fl := a.flags("sync")
	jobs := fl.Int("j", syncer.DefaultJobs, "files moved in parallel")
	device := fl.String("device", "", "this device's name in conflict copies (default: the saved one, else the host name)")
	dryRun := fl.Bool("dry-run", false, "print what a pass would do and change nothing")
	watch := fl.Bool("watch", false, "keep syncing: on local changes at once, and on the drive's")
	interval := fl.Duration("interval", 30*time.Second, "with -watch: the longest wait before the drive is looked at again")
	rest, err := parse(fl, args)
	if err != nil {
		return err
	}
	if len(rest) != 2 {
		return usagef("need a local folder and a drive folder")
	}
	if *jobs < 1 || *jobs > 64 {
		return usagef("-j must be 1 to 64")
	}
	if *interval < time.Second {
		return usagef("-interval must be at least 1s")
	}
	if *watch && *dryRun {
		return usagef("-watch and -dry-run do not go together")
	}
	local, err := filepath.Abs(rest[0])
	if err != nil {
		return err
	}
	remote := drivefs.Clean(rest[1])
	if err := os.MkdirAll(local, 0o755); err != nil {
		return err
	}

	unlock, err := syncer.Lock(local)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := syncer.OpenState(local)
	if err != nil {
		return err
	}
	defer st.Close()

	s, err := a.session()
	if err != nil {
		return err
	}
	defer s.Close()
	// The folder is paired with one drive folder of one account for good:
	// its bases mean nothing against another.
	pair := s.Credentials().Username + " " + remote
	switch was, err := st.Meta("pair"); {
	case err != nil:
		return err
	case was != "" && was != pair:
		return fmt.Errorf("%s is synced with %s; sync it with that folder, or remove %s to start over",
			local, strings.SplitN(was, " ", 2)[1], filepath.Join(local, syncer.Dir))
	case was == "" && !*dryRun:
		if err := st.SetMeta("pair", pair); err != nil {
			return err
		}
	}
	name, err := deviceName(st, *device, *dryRun)
	if err != nil {
		return err
	}

	fsys := drivefs.New(s.Files)
	tc := a.transfers(s, fsys, transfer.DefaultJobs)
	eng := &syncer.Engine{
		Local: local, State: st, Device: name, DryRun: *dryRun, Jobs: *jobs, Now: a.Now,
		Remote: &syncer.Drive{Files: s.Files, FS: fsys, TC: tc, Root: remote},
		Printf: tc.Reporter.Printf, Warnf: tc.Reporter.Warnf,
	}
	report := func(res *syncer.Result, err error) {
		if err != nil {
			if ctx.Err() == nil {
				tc.Reporter.Warnf("drive sync: %s\n", describe(err))
			}
			return
		}
		if *dryRun {
			if len(res.Planned) == 0 {
				tc.Reporter.Printf("in sync: nothing to do\n")
			}
			return
		}
		tc.Reporter.Printf("sync %s ⇄ %s: %s\n", local, remote, res.Summary())
	}
	if *watch {
		err := eng.Watch(ctx, *interval, report)
		if ctx.Err() != nil {
			return nil // Ctrl-C ends watching
		}
		return err
	}
	res, err := eng.Sync(ctx)
	if err != nil {
		return err
	}
	report(res, nil)
	if res.Failed > 0 {
		return errReported
	}
	return nil
}

// deviceName is -device, else the one saved with the folder, else the
// host's name; it is saved for the next runs.
func deviceName(st *syncer.State, flagValue string, dryRun bool) (string, error) {
	name := flagValue
	if name == "" {
		saved, err := st.Meta("device")
		if err != nil {
			return "", err
		}
		name = saved
	}
	if name == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "this device"
		}
		name = h
	}
	if strings.ContainsAny(name, "/\x00") {
		return "", usagef("-device must not contain /")
	}
	if !dryRun {
		if err := st.SetMeta("device", name); err != nil {
			return "", err
		}
	}
	return name, nil
}
