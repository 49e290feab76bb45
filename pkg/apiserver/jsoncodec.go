package apiserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/bits"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/go-kratos/kratos/v2/encoding"
	kjson "github.com/go-kratos/kratos/v2/encoding/json"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// jsonCodec replaces kratos's "json" codec for the HTTP answers: protojson
// was about a fifth of a listing page's CPU (its field ranger sorts and
// allocates per message, its encoder tracks state per token). It writes
// what protojson writes with UseProtoNames and EmitUnpopulated, byte for
// byte up to protojson's random whitespace (jsoncodec_test.go compares
// every message of the API), for the proto3 messages the API answers with:
// scalars, strings, int64 as strings, enums by name, bytes, nested
// messages and lists. A message with anything else (maps, oneofs, floats,
// well-known types) is written by protojson itself. Decoding stays
// kratos's (protojson).
type jsonCodec struct{ base encoding.Codec }

func init() {
	encoding.RegisterCodec(jsonCodec{base: encoding.GetCodec(kjson.Name)})
}

func (jsonCodec) Name() string { return kjson.Name }

func (c jsonCodec) Marshal(v any) ([]byte, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return c.base.Marshal(v)
	}
	pm := m.ProtoReflect()
	if !pm.IsValid() { // a typed nil: protojson's answer
		return appendSlow(nil, m)
	}
	return appendMessage(make([]byte, 0, 256), pm)
}

func (c jsonCodec) Unmarshal(data []byte, v any) error { return c.base.Unmarshal(data, v) }

var errInvalidUTF8 = errors.New("string field contains invalid UTF-8")

// msgPlan is what writing one message type takes, worked out once.
type msgPlan struct {
	slow   bool // protojson writes it
	fields []fieldPlan
}

type fieldPlan struct {
	fd   protoreflect.FieldDescriptor
	name string // `"name":`
	list bool
	kind protoreflect.Kind
}

var plans sync.Map // protoreflect.MessageDescriptor → *msgPlan

func planFor(md protoreflect.MessageDescriptor) *msgPlan {
	if p, ok := plans.Load(md); ok {
		return p.(*msgPlan)
	}
	p := &msgPlan{}
	if md.Syntax() != protoreflect.Proto3 || md.Oneofs().Len() > 0 || isWellKnown(md) {
		p.slow = true
	}
	fds := md.Fields()
	for i := 0; i < fds.Len() && !p.slow; i++ {
		fd := fds.Get(i)
		switch fd.Kind() {
		case protoreflect.FloatKind, protoreflect.DoubleKind, protoreflect.GroupKind:
			p.slow = true
		}
		if fd.IsMap() || fd.IsExtension() {
			p.slow = true
		}
		if fd.Kind() == protoreflect.EnumKind && fd.Enum().FullName() == "google.protobuf.NullValue" {
			p.slow = true
		}
		name, _ := appendString(nil, fd.TextName())
		p.fields = append(p.fields, fieldPlan{fd: fd, name: string(name) + ":", list: fd.IsList(), kind: fd.Kind()})
	}
	if p.slow {
		p.fields = nil
	}
	actual, _ := plans.LoadOrStore(md, p)
	return actual.(*msgPlan)
}

func isWellKnown(md protoreflect.MessageDescriptor) bool {
	return md.ParentFile() != nil && md.ParentFile().Package() == "google.protobuf"
}

var slowOpts = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

// appendSlow appends protojson's writing of m, compacted: protojson adds
// spaces at random, decided per build of the binary, and an answer should
// not change shape with the build.
func appendSlow(out []byte, m proto.Message) ([]byte, error) {
	b, err := slowOpts.Marshal(m)
	if err != nil {
		return nil, err
	}
	buf := bytes.NewBuffer(out)
	if err := json.Compact(buf, b); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func appendMessage(out []byte, m protoreflect.Message) ([]byte, error) {
	p := planFor(m.Descriptor())
	if p.slow {
		return appendSlow(out, m.Interface())
	}
	out = append(out, '{')
	var err error
	for i := range p.fields {
		f := &p.fields[i]
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, f.name...)
		if f.list {
			l := m.Get(f.fd).List()
			out = append(out, '[')
			for j := range l.Len() {
				if j > 0 {
					out = append(out, ',')
				}
				if out, err = appendValue(out, f, l.Get(j)); err != nil {
					return out, err
				}
			}
			out = append(out, ']')
			continue
		}
		if f.kind == protoreflect.MessageKind && !m.Has(f.fd) {
			out = append(out, "null"...)
			continue
		}
		if out, err = appendValue(out, f, m.Get(f.fd)); err != nil {
			return out, err
		}
	}
	return append(out, '}'), nil
}

func appendValue(out []byte, f *fieldPlan, v protoreflect.Value) ([]byte, error) {
	switch f.kind {
	case protoreflect.StringKind:
		return appendString(out, v.String())
	case protoreflect.BoolKind:
		return strconv.AppendBool(out, v.Bool()), nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return strconv.AppendInt(out, v.Int(), 10), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return strconv.AppendUint(out, v.Uint(), 10), nil
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		out = append(out, '"')
		return append(strconv.AppendInt(out, v.Int(), 10), '"'), nil
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		out = append(out, '"')
		return append(strconv.AppendUint(out, v.Uint(), 10), '"'), nil
	case protoreflect.BytesKind:
		b := v.Bytes()
		out = append(out, '"')
		n := base64.StdEncoding.EncodedLen(len(b))
		out = append(out, make([]byte, n)...)
		base64.StdEncoding.Encode(out[len(out)-n:], b)
		return append(out, '"'), nil
	case protoreflect.EnumKind:
		if ev := f.fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return appendString(out, string(ev.Name()))
		}
		return strconv.AppendInt(out, int64(v.Enum()), 10), nil
	case protoreflect.MessageKind:
		return appendMessage(out, v.Message())
	}
	return out, errors.New("apiserver json: unexpected kind " + f.kind.String())
}

// appendString is protojson's (internal/encoding/json): only '"', '\\' and
// control characters are escaped; invalid UTF-8 is an error.
func appendString(out []byte, in string) ([]byte, error) {
	out = append(out, '"')
	i := indexNeedEscape(in)
	in, out = in[i:], append(out, in[:i]...)
	for len(in) > 0 {
		switch r, n := utf8.DecodeRuneInString(in); {
		case r == utf8.RuneError && n == 1:
			return out, errInvalidUTF8
		case r < ' ' || r == '"' || r == '\\':
			out = append(out, '\\')
			switch r {
			case '"', '\\':
				out = append(out, byte(r))
			case '\b':
				out = append(out, 'b')
			case '\f':
				out = append(out, 'f')
			case '\n':
				out = append(out, 'n')
			case '\r':
				out = append(out, 'r')
			case '\t':
				out = append(out, 't')
			default:
				out = append(out, 'u')
				out = append(out, "0000"[1+(bits.Len32(uint32(r))-1)/4:]...)
				out = strconv.AppendUint(out, uint64(r), 16)
			}
			in = in[n:]
		default:
			i := indexNeedEscape(in[n:])
			in, out = in[n+i:], append(out, in[:n+i]...)
		}
	}
	return append(out, '"'), nil
}

// indexNeedEscape scans bytes: ASCII that needs no escape is the common case.
func indexNeedEscape(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c == '\\' || c == '"' {
			return i
		}
		if c >= utf8.RuneSelf {
			for j, r := range s[i:] {
				if r < ' ' || r == '\\' || r == '"' || r == utf8.RuneError {
					return i + j
				}
			}
			return len(s)
		}
	}
	return len(s)
}
