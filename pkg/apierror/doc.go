// Package apierror shapes every error a client sees: request validation that
// names the field, driver and panic text hidden behind INTERNAL, messages in
// English or Chinese by Accept-Language, and the HTTP body
// {code, reason, message, metadata}.
package apierror
