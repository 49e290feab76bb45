// Package reasons holds the checks that span every service's error reasons:
// each reason declared in api/*/v1/error_reason.proto has a complete Chinese
// message. It has no code of its own; the services register their messages.
package reasons
