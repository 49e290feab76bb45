package cli

import (
	"context"
	"fmt"
	"time"

	sharev1 "clouddrive/api/share/v1"
	"clouddrive/app/cli/internal/drivefs"
)

// share makes a link to a file or folder and prints it with its code.
func (a *App) share(ctx context.Context, args []string) error {
	fl := a.flags("share")
	code := fl.String("code", "", "the extraction code (4 letters or digits)")
	gen := fl.Bool("gen-code", false, "generate an extraction code")
	expires := fl.Duration("expires", 0, "how long the link works (0: until revoked)")
	maxDownloads := fl.Int64("max-downloads", 0, "how many downloads it allows (0: no limit)")
	to := fl.String("to", "", "a username who then sees it under \"shared with me\"")
	rest, err := parse(fl, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("share one path")
	}
	if *code != "" && *gen {
		return usagef("-code and -gen-code go apart")
	}
	if *expires < 0 || (*expires > 0 && *expires < time.Second) {
		return usagef("-expires must be at least a second")
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
	if n.GetId() == "" {
		return usagef("the root cannot be shared")
	}
	info, err := s.Shares.CreateShare(ctx, &sharev1.CreateShareRequest{NodeId: n.GetId(), Code: *code, GenerateCode: *gen,
		ExpiresInSeconds: int64(expires.Seconds()), MaxDownloads: *maxDownloads, Recipient: *to})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "link: %s\n", info.GetUrl())
	if info.GetCode() != "" {
		fmt.Fprintf(a.Stdout, "code: %s\n", info.GetCode())
	}
	if info.GetExpiresAt() != "" {
		fmt.Fprintf(a.Stdout, "expires: %s\n", info.GetExpiresAt())
	}
	return nil
}
