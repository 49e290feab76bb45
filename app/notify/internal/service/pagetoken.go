package service

import (
	"encoding/base64"
	"strconv"
	"strings"

	"clouddrive/pkg/apierror"
)

// A page token is the id of the last notification of the page: the next
// page holds the older ones (ids below it). It is opaque to clients.
const tokenPrefix = "n1."

func encodeToken(id int64) string {
	if id <= 0 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + strconv.FormatInt(id, 10)))
}

func decodeToken(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		if rest, ok := strings.CutPrefix(string(b), tokenPrefix); ok {
			if id, err := strconv.ParseInt(rest, 10, 64); err == nil && id > 0 {
				return id, nil
			}
		}
	}
	return 0, apierror.Invalid("page_token", "not a page token of this listing")
}
