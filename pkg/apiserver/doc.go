// Package apiserver holds what every service's gRPC and HTTP servers share:
// the middleware chain (errors, recovery, client info, access log, auth,
// validation), JSON with proto field names, and the error encoder. A service
// adds only its own registrations.
package apiserver
