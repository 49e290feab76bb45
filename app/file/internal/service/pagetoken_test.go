package service

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/errors"

	v1 "clouddrive/api/file/v1"
	"clouddrive/app/file/internal/biz"
)

func TestPageTokenRoundTrip(t *testing.T) {
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	cursors := []*biz.Cursor{
		{Kind: biz.KindFolder, Name: "报告", ID: 1},
		{Kind: biz.KindFile, Name: "report (1).pdf", Size: 1 << 40, Updated: at, ID: 9007199254740993},
		{Kind: biz.KindFile, Name: "", Size: 0, ID: 42},
		{Kind: biz.KindFile, Name: "a\"b\\c\x00\n", Size: -1, Updated: at.In(time.FixedZone("x", 8*3600)), ID: 7},
	}
	orders := []string{biz.OrderName, biz.OrderSize, biz.OrderUpdated, trashOrder, searchOrder}
	for _, c := range cursors {
		for _, order := range orders {
			for _, desc := range []bool{false, true} {
				tok := encodeToken(order, desc, c)
				if tok == "" {
					t.Fatalf("encodeToken(%q, %v, %+v) is empty", order, desc, c)
				}
				if strings.ContainsAny(tok, "+/= ") {
					t.Errorf("token %q is not URL-safe", tok)
				}
				got, err := decodeToken(tok, order, desc)
				if err != nil {
					t.Fatalf("decodeToken(encodeToken(%q, %v, %+v)): %v", order, desc, c, err)
				}
				if got.Kind != c.Kind || got.Name != c.Name || got.Size != c.Size || got.ID != c.ID || !got.Updated.Equal(c.Updated) {
					t.Errorf("round trip of %+v (%s, desc %v) gave %+v", c, order, desc, got)
				}
				if c.Updated.IsZero() != got.Updated.IsZero() {
					t.Errorf("round trip of %+v: zero time became %v", c, got.Updated)
				}
			}
		}
	}
}

func TestPageTokenEnds(t *testing.T) {
	if tok := encodeToken(biz.OrderName, false, nil); tok != "" {
		t.Errorf("encodeToken of the last page = %q, want empty", tok)
	}
	c, err := decodeToken("", biz.OrderName, false)
	if c != nil || err != nil {
		t.Errorf(`decodeToken("") = %v, %v; want the first page`, c, err)
	}
}

func TestPageTokenRefused(t *testing.T) {
	good := encodeToken(biz.OrderName, false, &biz.Cursor{Kind: biz.KindFile, Name: "a", ID: 5})
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}

	cases := []struct {
		name  string
		token string
		order string
		desc  bool
	}{
		{"another order_by (size)", good, biz.OrderSize, false},
		{"another order_by (updated_at)", good, biz.OrderUpdated, false},
		{"desc instead of asc", good, biz.OrderName, true},
		{"asc instead of desc", encodeToken(biz.OrderName, true, &biz.Cursor{ID: 5}), biz.OrderName, false},
		{"a trash token in a listing", encodeToken(trashOrder, false, &biz.Cursor{ID: 5}), biz.OrderName, false},
		{"a search token in the trash", encodeToken(searchOrder, false, &biz.Cursor{ID: 5}), trashOrder, false},
		{"a listing token in search", good, searchOrder, false},
		{"garbage", "garbage!!", biz.OrderName, false},
		{"spaces", "   ", biz.OrderName, false},
		{"base64 of garbage", b64("not json"), biz.OrderName, false},
		{"base64 of a JSON array", b64(`[1,2]`), biz.OrderName, false},
		{"base64 of null", b64(`null`), biz.OrderName, false},
		{"base64 of an empty object", b64(`{}`), biz.OrderName, false},
		{"no id", b64(`{"o":"name"}`), biz.OrderName, false},
		{"id zero", b64(`{"o":"name","i":0}`), biz.OrderName, false},
		{"negative id", b64(`{"o":"name","i":-3}`), biz.OrderName, false},
		{"id of the wrong type", b64(`{"o":"name","i":"5"}`), biz.OrderName, false},
		{"trailing JSON", b64(string(raw) + `{}`), biz.OrderName, false},
		{"padded standard base64", base64.StdEncoding.EncodeToString(raw) + "=", biz.OrderName, false},
		{"standard base64 alphabet, trailing bytes", strings.NewReplacer("-", "+", "_", "/").Replace(b64(string(raw) + "\xff\xfe")), biz.OrderName, false},
		{"tampered: first character", flip(good, 0), biz.OrderName, false},
		{"tampered: last character", flip(good, len(good)-1), biz.OrderName, false},
		{"tampered: truncated", good[:len(good)-2], biz.OrderName, false},
		{"tampered: invalid character", good[:3] + "*" + good[4:], biz.OrderName, false},
		{"tampered: one character dropped", good[:len(good)-1], biz.OrderName, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := decodeToken(tc.token, tc.order, tc.desc)
			if err == nil {
				t.Fatalf("decodeToken(%q, %q, %v) = %+v, want INVALID_PAGE_TOKEN", tc.token, tc.order, tc.desc, c)
			}
			if !v1.IsInvalidPageToken(err) {
				t.Fatalf("decodeToken(%q) = %v, want INVALID_PAGE_TOKEN", tc.token, err)
			}
			e := errors.FromError(err)
			if e.Code != 400 || e.Metadata["field"] != "page_token" {
				t.Errorf("error %v: want 400 with metadata.field = page_token", e)
			}
		})
	}
}
