package auth

import (
	"sync"
	"time"
)

// verifiedCap bounds the tokens a Verifier remembers (a few hundred bytes
// each); past it the memory starts afresh.
const verifiedCap = 4096

// verified remembers tokens whose signature and claims checked out, until
// they expire: a client sends the same token with every call of its
// lifetime, and parsing it and checking its Ed25519 signature each time was
// 6% of the server CPU of an instant upload (init + prove). Only the
// outcome of a full check is kept, and only until the token's expiry (not
// its leeway: past exp the full check decides), so nothing passes here that
// the full check would refuse; revocation is checked per call, elsewhere, as
// before.
type verified struct {
	mu sync.Mutex
	m  map[string]verifiedToken
}

type verifiedToken struct {
	caller Caller
	exp    time.Time
}

func (v *verified) get(token string, now time.Time) (Caller, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	t, ok := v.m[token]
	if !ok {
		return Caller{}, false
	}
	if !now.Before(t.exp) {
		delete(v.m, token)
		return Caller{}, false
	}
	return t.caller, true
}

func (v *verified) put(token string, c Caller, exp time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil || len(v.m) >= verifiedCap {
		v.m = make(map[string]verifiedToken)
	}
	v.m[token] = verifiedToken{caller: c, exp: exp}
}
