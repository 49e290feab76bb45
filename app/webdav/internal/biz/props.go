package biz

import "context"

// Prop is a dead property (RFC 4918): what a client set with PROPPATCH,
// kept as it sent it.
type Prop struct {
	Space    string `json:"s"`
	Local    string `json:"l"`
	Lang     string `json:"g,omitempty"`
	InnerXML []byte `json:"x,omitempty"`
}

// PropRepo keeps dead properties per node of an owner: they follow the
// node through moves and renames, and stay with it in the trash.
type PropRepo interface {
	Get(ctx context.Context, owner, node int64) ([]Prop, error)
	// Set replaces them all (none: removes the node's entry).
	Set(ctx context.Context, owner, node int64, props []Prop) error
}
