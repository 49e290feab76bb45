// Package auth is what every service uses to know who calls it: Ed25519 JWT
// access tokens (signed by the user service only, verified everywhere with the
// public key), the middleware that puts the caller in the context, the access
// level of each RPC read from its proto annotation, revocation of a user's
// tokens, and HMAC-signed URLs for downloads.
package auth
