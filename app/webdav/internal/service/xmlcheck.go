package service

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
)

// maxXMLBody bounds a PROPFIND, PROPPATCH or LOCK body, read whole before
// x/net/webdav parses it.
const maxXMLBody = 1 << 20

var errBadNamespace = errors.New("an XML namespace prefix is declared empty")

// checkXMLBody reads a small XML request body and refuses what
// encoding/xml lets through but XML namespaces forbid: a prefix bound to
// the empty name (xmlns:a=""). x/net/webdav would read it as no namespace
// and answer 207; RFC 4918 wants 400 for a body that is not well formed.
func checkXMLBody(r *http.Request) (int, error) {
	if r.Body == nil || r.ContentLength == 0 {
		return 0, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxXMLBody+1))
	if err != nil {
		return http.StatusBadRequest, err
	}
	if len(body) > maxXMLBody {
		return http.StatusRequestEntityTooLarge, errors.New("the XML body is too large")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return 0, nil
		}
		if err != nil {
			return 0, nil // x/net/webdav answers malformed XML itself
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Space == "xmlns" && a.Value == "" {
					return http.StatusBadRequest, errBadNamespace
				}
			}
		}
	}
}
