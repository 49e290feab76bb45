package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	userv1 "clouddrive/api/user/v1"
	"clouddrive/app/cli/internal/client"
	"clouddrive/app/cli/internal/tty"
)

func (a *App) login(ctx context.Context, args []string) error {
	fs := a.flags("login")
	user := fs.String("u", "", "user name (or email or phone)")
	pass := fs.String("p", "", "password (prefer $DRIVE_PASSWORD or the prompt: flags are visible to other users)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected %q", rest[0])
	}
	st, err := a.store()
	if err != nil {
		return err
	}
	server := a.server
	useTLS := a.useTLS
	if !a.serverSet {
		server = DefaultServer
		if saved, err := st.Load(); err == nil && saved.Server != "" {
			server, useTLS = saved.Server, saved.TLS || a.useTLS
		}
	}
	if *user == "" {
		if !a.isTerminal(a.Stdin) {
			return usagef("-u USER is required")
		}
		fmt.Fprint(a.Stderr, "User: ")
		line, err := readLine(a.Stdin)
		if err != nil {
			return err
		}
		*user = strings.TrimSpace(line)
	}
	password := *pass
	if password == "" {
		password = a.getenv("DRIVE_PASSWORD")
	}
	if password == "" {
		f, ok := a.Stdin.(*os.File)
		if !ok || !a.isTerminal(a.Stdin) {
			return usagef("no password: give -p, set DRIVE_PASSWORD, or run on a terminal")
		}
		fmt.Fprintf(a.Stderr, "Password for %s: ", *user)
		b, err := tty.ReadPassword(f.Fd())
		fmt.Fprintln(a.Stderr)
		if err != nil {
			return err
		}
		password = string(b)
	}
	s, err := client.Open(client.Options{Server: server, TLS: useTLS, Store: st, DialOptions: a.DialOptions, Now: a.Now})
	if err != nil {
		return err
	}
	defer s.Close()
	reply, err := s.User.Login(ctx, &userv1.LoginRequest{Username: *user, Password: password})
	if err != nil {
		return err
	}
	creds := &client.Credentials{Server: server, TLS: useTLS, Username: *user, AccessToken: reply.GetAccessToken(),
		RefreshToken: reply.GetRefreshToken(), ExpiresAt: client.ExpiresAt(a.now(), reply.GetExpiresIn())}
	if err := st.Save(creds); err != nil {
		return fmt.Errorf("saving the credentials: %w", err)
	}
	fmt.Fprintf(a.Stdout, "logged in as %s on %s\n", *user, server)
	return nil
}

// readLine reads one line without buffering past it.
func readLine(r interface{ Read([]byte) (int, error) }) (string, error) {
	var b [1]byte
	var line []byte
	for {
		n, err := r.Read(b[:])
		if n == 1 {
			if b[0] == '\n' {
				return strings.TrimRight(string(line), "\r"), nil
			}
			line = append(line, b[0])
		}
		if err != nil {
			if len(line) > 0 {
				return string(line), nil
			}
			return "", err
		}
	}
}

func (a *App) logout(ctx context.Context, args []string) error {
	fs := a.flags("logout")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected %q", rest[0])
	}
	st, err := a.store()
	if err != nil {
		return err
	}
	s, err := a.session()
	if errors.Is(err, client.ErrNotLoggedIn) {
		fmt.Fprintln(a.Stdout, "not logged in")
		return nil
	}
	if err != nil {
		return err
	}
	defer s.Close()
	creds := s.Credentials()
	_, lerr := s.User.Logout(ctx, &userv1.LogoutRequest{RefreshToken: creds.RefreshToken})
	if err := st.Remove(); err != nil {
		return err
	}
	_ = os.Remove(st.Path + ".lock")
	if lerr != nil {
		fmt.Fprintf(a.Stderr, "drive logout: the server did not revoke the session: %s\n", client.Describe(lerr))
	}
	fmt.Fprintf(a.Stdout, "logged out %s\n", creds.Username)
	return nil
}

func (a *App) whoami(ctx context.Context, args []string) error {
	fs := a.flags("whoami")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected %q", rest[0])
	}
	s, err := a.session()
	if err != nil {
		return err
	}
	defer s.Close()
	me, err := s.User.Me(ctx, &userv1.MeRequest{})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "%s (id %s) on %s\n", me.GetUsername(), me.GetId(), s.Credentials().Server)
	return nil
}
