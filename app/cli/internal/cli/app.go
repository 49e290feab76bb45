// Package cli is the `drive` command: it parses the command line, keeps the
// credentials, and runs each command over the drive's gRPC API.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc"

	"clouddrive/app/cli/internal/client"
	"clouddrive/app/cli/internal/drivefs"
	"clouddrive/app/cli/internal/progress"
	"clouddrive/app/cli/internal/transfer"
	"clouddrive/app/cli/internal/tty"
)

// DefaultServer is the standalone binary's gRPC address.
const DefaultServer = "127.0.0.1:9000"

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// App is one invocation's environment. The zero value is not usable; Main
// fills it from the process, tests fill it themselves.
type App struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// CredentialsPath overrides $XDG_CONFIG_HOME/clouddrive/credentials.json.
	CredentialsPath string
	// IsTerminal says whether a stream is a terminal (progress bar, password
	// prompt); by default true for *os.File terminals.
	IsTerminal func(any) bool
	// Stats, when set, count what transfers sent and received.
	Stats *transfer.Stats
	// Hooks are passed to the transfers (tests interrupt with them).
	Hooks       transfer.Hooks
	DialOptions []grpc.DialOption
	// Backoff is the first wait before retrying a transient failure.
	Backoff time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	// set by Run
	server    string
	serverSet bool
	useTLS    bool
}

// Main runs drive with the process's arguments and environment; Ctrl-C
// interrupts a transfer, which resumes when the command is run again.
func Main(ctx context.Context, args []string) int {
	a := &App{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	return a.Run(ctx, args)
}

type command struct {
	name, args, summary string
	run                 func(a *App, ctx context.Context, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"login", "[-u USER] [-p PASSWORD]", "sign in and save the credentials", (*App).login},
		{"logout", "", "sign out and forget the credentials", (*App).logout},
		{"whoami", "", "show the signed-in user", (*App).whoami},
		{"ls", "[-l] [PATH...]", "list folders", (*App).ls},
		{"mkdir", "[-p] PATH...", "make folders", (*App).mkdir},
		{"put", "[-j N] [-rename] LOCAL... REMOTE_DIR", "upload files and folders (parallel, resumable, instant when stored)", (*App).put},
		{"get", "[-j N] [-f] REMOTE... [LOCAL]", "download files and folders (parallel ranges, resumable)", (*App).get},
		{"mv", "[-rename] SRC... DST", "move or rename", (*App).mv},
		{"cp", "[-rename] SRC... DST", "copy (nodes, not bytes)", (*App).cp},
		{"rm", "[-r] PATH...", "move to the trash", (*App).rm},
		{"sync", "[-watch] [-dry-run] [-device NAME] [-j N] LOCAL REMOTE_DIR", "two-way sync of a local folder with a drive folder", (*App).sync},
		{"versions", "PATH | restore PATH VERSION | get PATH VERSION -o FILE", "a file's older versions: list, restore, download", (*App).versions},
		{"changes", "[-wait] [-cursor C]", "what changed in the drive since a cursor", (*App).changes},
		{"share", "[-code XXXX | -gen-code] [-expires DURATION] [-max-downloads N] [-to USER] PATH", "share a file or folder by link", (*App).share},
	}
}

// usageError is a command line mistake (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

func (a *App) getenv(k string) string {
	if a.Getenv == nil {
		return ""
	}
	return a.Getenv(k)
}

func (a *App) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *App) isTerminal(s any) bool {
	if a.IsTerminal != nil {
		return a.IsTerminal(s)
	}
	f, ok := s.(*os.File)
	return ok && tty.IsTerminal(f.Fd())
}

func (a *App) usage(w io.Writer) {
	fmt.Fprintf(w, `drive: the cloud drive from the command line (over gRPC)

usage: drive [-server HOST:PORT] [-tls] COMMAND [ARGS]

commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-7s %-40s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintf(w, `
Paths on the drive start at the root: /photos/2024 (names match case-insensitively).
The server is -server, else $DRIVE_SERVER, else the one logged in to, else %s.
Credentials are kept in $XDG_CONFIG_HOME/clouddrive/credentials.json (mode 0600);
the password comes from -p, $DRIVE_PASSWORD, or a prompt on the terminal.
An interrupted put or get resumes when the same command is run again.
Run "drive COMMAND -h" for a command's flags.
`, DefaultServer)
}

// Run runs one command line (without the program name) and returns the exit code.
func (a *App) Run(ctx context.Context, args []string) int {
	if a.Stdout == nil {
		a.Stdout = io.Discard
	}
	if a.Stderr == nil {
		a.Stderr = io.Discard
	}
	if a.Stdin == nil {
		a.Stdin = strings.NewReader("")
	}
	global := flag.NewFlagSet("drive", flag.ContinueOnError)
	global.SetOutput(a.Stderr)
	global.Usage = func() { a.usage(a.Stderr) }
	server := global.String("server", "", "gRPC address of the drive (HOST:PORT)")
	global.BoolVar(&a.useTLS, "tls", false, "connect with TLS")
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	a.server, a.serverSet = *server, *server != ""
	if !a.serverSet {
		if env := a.getenv("DRIVE_SERVER"); env != "" {
			a.server, a.serverSet = env, true
		}
	}
	rest := global.Args()
	if len(rest) == 0 {
		a.usage(a.Stderr)
		return ExitUsage
	}
	name := rest[0]
	if name == "help" {
		a.usage(a.Stdout)
		return ExitOK
	}
	for _, c := range commands {
		if c.name != name {
			continue
		}
		err := c.run(a, ctx, rest[1:])
		var ue *usageError
		switch {
		case err == nil:
			return ExitOK
		case errors.Is(err, flag.ErrHelp):
			return ExitOK
		case errors.As(err, &ue):
			fmt.Fprintf(a.Stderr, "drive %s: %s\nusage: drive %s %s\n", name, ue.msg, c.name, c.args)
			return ExitUsage
		case errors.Is(err, errReported):
			return ExitError
		default:
			fmt.Fprintf(a.Stderr, "drive %s: %s\n", name, client.Describe(err))
			if ctx.Err() != nil && (name == "put" || name == "get" || name == "sync") {
				fmt.Fprintln(a.Stderr, "run the same command again to resume")
			}
			return ExitError
		}
	}
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	sort.Strings(names)
	fmt.Fprintf(a.Stderr, "drive: unknown command %q (commands: %s)\n", name, strings.Join(names, ", "))
	return ExitUsage
}

// errReported means the command printed its errors already.
var errReported = errors.New("reported")

// flags returns a flag set for a command that prints its usage on -h.
func (a *App) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("drive "+name, flag.ContinueOnError)
	fs.SetOutput(a.Stderr)
	for _, c := range commands {
		if c.name == name {
			fs.Usage = func() {
				fmt.Fprintf(a.Stderr, "usage: drive %s %s\n  %s\n", c.name, c.args, c.summary)
				fs.PrintDefaults()
			}
		}
	}
	return fs
}

// parse parses flags that may come before, between or after the positional
// arguments ("drive put a b -j 8 /dst"); "--" ends the flags.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos, tail []string
	for i, s := range args {
		if s == "--" {
			args, tail = args[:i], args[i+1:]
			break
		}
	}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	return append(pos, tail...), nil
}

// store is where the credentials live.
func (a *App) store() (client.Store, error) {
	if a.CredentialsPath != "" {
		return client.Store{Path: a.CredentialsPath}, nil
	}
	p, err := client.DefaultPath(a.getenv)
	return client.Store{Path: p}, err
}

// session opens a session with the saved credentials.
func (a *App) session() (*client.Session, error) {
	st, err := a.store()
	if err != nil {
		return nil, err
	}
	creds, err := st.Load()
	if err != nil {
		return nil, err
	}
	server := creds.Server
	if a.serverSet && a.server != creds.Server {
		return nil, fmt.Errorf("not logged in to %s (the saved credentials are for %s); run: drive -server %s login -u USER",
			a.server, creds.Server, a.server)
	}
	if server == "" {
		server = DefaultServer
	}
	return client.Open(client.Options{Server: server, TLS: creds.TLS || a.useTLS, Store: st, Creds: creds,
		DialOptions: a.DialOptions, Now: a.Now})
}

// transfers is the transfer configuration of a session.
func (a *App) transfers(s *client.Session, fs *drivefs.FS, jobs int) *transfer.Config {
	if a.Stats == nil {
		a.Stats = &transfer.Stats{}
	}
	rep := progress.New(a.Stdout, a.Stderr, a.isTerminal(a.Stderr))
	if f, ok := a.Stderr.(*os.File); ok {
		rep.Width = func() int { return tty.Width(f.Fd()) }
	}
	stateDir := ""
	if st, err := a.store(); err == nil {
		// Beside the credentials: per user of this machine.
		stateDir = filepath.Join(filepath.Dir(st.Path), "uploads")
	}
	return &transfer.Config{Storage: s.Storage, FS: fs, Do: s.Do, Jobs: jobs, Reporter: rep,
		Stats: a.Stats, Hooks: a.Hooks, Backoff: a.Backoff, StateDir: stateDir}
}

// describe is an error in one line for a person.
func describe(err error) string { return client.Describe(err) }
