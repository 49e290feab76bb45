package standalone_test

import (
	"fmt"
	"testing"
)

// Account throttles (issue 17, item 9): sign-ups per client IP, guesses of
// the current password per user. (The login lockout per account and source
// is TestE2E's rate_limit scenario.)
func TestE2EAccountLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the standalone binary (skipped with -short)")
	}
	srv := startServer(t, binary(t))
	e := &env{srv: srv, book: newSecretBook(), ips: &ipPool{}}
	t.Run("sign_up_throttled_per_ip", e.testSignUpThrottled)
	t.Run("current_password_guesses_throttled", e.testPasswordGuessesThrottled)
}

// Ten sign-ups an hour from one address (each costs a bcrypt); the
// eleventh is refused before any work, another address still signs up.
func (e *env) testSignUpThrottled(t *testing.T) {
	c, _ := e.clients(t)
	for i := 1; i <= 10; i++ {
		e.register(t, c, fmt.Sprintf("signup%02d", i), "")
	}
	got := c.fail(c.post("/v1/user/register", "", map[string]string{"username": "signup11", "password": e.password(t)}),
		429, "RATE_LIMITED")
	if s := atoi(t, "metadata.retry_after_seconds", got.Metadata["retry_after_seconds"]); s < 1 || s > 3600 {
		t.Errorf("retry_after_seconds = %d, want 1..3600", s)
	}
	other, _ := e.clients(t)
	e.register(t, other, "signup11", "")
}

// Five guesses of the current password per user per window; past them even
// the right one waits (charged before the comparison).
func (e *env) testPasswordGuessesThrottled(t *testing.T) {
	c, _ := e.clients(t)
	a := e.register(t, c, "guessed", "")
	tok := e.login(t, c, a).GetAccessToken()
	for i := 1; i <= 5; i++ {
		c.fail(c.post("/v1/user/password", tok, map[string]string{"old_password": fmt.Sprintf("Guess-%d-pass", i), "new_password": e.password(t)}),
			401, "INVALID_CREDENTIALS")
	}
	c.fail(c.post("/v1/user/password", tok, map[string]string{"old_password": a.password, "new_password": e.password(t)}),
		429, "RATE_LIMITED")
	// From another address, with another session: the limit is the user's.
	c2, _ := e.clients(t)
	tok2 := e.login(t, c2, a).GetAccessToken()
	c2.fail(c2.post("/v1/user/password", tok2, map[string]string{"old_password": a.password, "new_password": e.password(t)}),
		429, "RATE_LIMITED")
}
