// Package rpccodec is the gRPC codec of our servers: protobuf exactly as
// grpc-go's own codec, except that the bytes fields registered with Pool
// are decoded into pooled buffers that the handler gives back with Release.
//
// Why: protobuf-go copies every bytes field into a fresh allocation. An
// upload stream of 1 MiB messages at a few hundred MB/s made that hundreds
// of MB/s of garbage, and the collector's headroom (as much again as the
// live heap) held tens of MiB of it: the process's peak RSS grew by 30 to
// 45 MiB during any gRPC upload. Decoded into reused buffers, a message
// costs one copy out of the transport's frames and no allocation.
package rpccodec

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// pooled maps a message's full name to its pooled bytes field.
var pooled sync.Map // protoreflect.FullName -> protoreflect.FieldDescriptor

// Pool makes the codec decode field (a singular bytes field) into a pooled
// buffer. The handler that receives such a message owns the buffer and
// should Release it once it is done with the bytes; one it forgets is
// collected as garbage like any other. Call it at init.
func Pool(field protoreflect.FieldDescriptor) {
	if field.Kind() != protoreflect.BytesKind || field.Cardinality() == protoreflect.Repeated {
		panic(fmt.Sprintf("rpccodec: %s is not a singular bytes field", field.FullName()))
	}
	pooled.Store(field.ContainingMessage().FullName(), field)
}

// Codec is protobuf for grpc-go (its name is "proto", what clients ask for).
type Codec struct{ base encoding.CodecV2 }

// New returns the codec; servers take it with grpc.ForceServerCodecV2.
func New() *Codec {
	return &Codec{base: encoding.GetCodecV2(grpcproto.Name)}
}

var _ encoding.CodecV2 = (*Codec)(nil)

// Name implements encoding.CodecV2.
func (c *Codec) Name() string { return grpcproto.Name }

// Marshal implements encoding.CodecV2: grpc-go's (pooled already).
func (c *Codec) Marshal(v any) (mem.BufferSlice, error) { return c.base.Marshal(v) }

// Unmarshal implements encoding.CodecV2.
func (c *Codec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return c.base.Unmarshal(data, v)
	}
	fd, ok := pooled.Load(m.ProtoReflect().Descriptor().FullName())
	if !ok {
		return c.base.Unmarshal(data, v)
	}
	err := decode(data, m, fd.(protoreflect.FieldDescriptor))
	if errors.Is(err, errGroup) {
		// Deprecated groups among unknown fields: protobuf-go's own way.
		return c.base.Unmarshal(data, v)
	}
	return err
}

var (
	errTruncated = errors.New("rpccodec: truncated message")
	errGroup     = errors.New("rpccodec: group field")
)

// decode reads the message's fields from the transport's buffers: the pooled
// field straight into a buffer of its length, the others (small: an id, an
// index) re-encoded into rest and decoded by protobuf-go, so every rule of
// the format (and unknown fields) stays protobuf-go's.
func decode(data mem.BufferSlice, m proto.Message, fd protoreflect.FieldDescriptor) (err error) {
	var r mem.Reader
	r.Reset(data)
	defer r.Close()
	var field []byte
	defer func() {
		if err != nil {
			Release(field)
		}
	}()
	var small [256]byte
	rest := small[:0]
	for r.Remaining() > 0 {
		tag, err := varint(&r)
		if err != nil {
			return err
		}
		num, typ := protowire.DecodeTag(tag)
		if num <= 0 {
			return fmt.Errorf("rpccodec: invalid field number in %s", fd.ContainingMessage().FullName())
		}
		if num == fd.Number() && typ == protowire.BytesType {
			n, err := length(&r)
			if err != nil {
				return err
			}
			Release(field) // a field repeated on the wire: the last one wins
			field = get(n)
			if _, err := io.ReadFull(&r, field); err != nil {
				return errTruncated
			}
			continue
		}
		rest = protowire.AppendVarint(rest, tag)
		switch typ {
		case protowire.VarintType:
			x, err := varint(&r)
			if err != nil {
				return err
			}
			rest = protowire.AppendVarint(rest, x)
		case protowire.Fixed32Type:
			rest, err = appendN(rest, &r, 4)
		case protowire.Fixed64Type:
			rest, err = appendN(rest, &r, 8)
		case protowire.BytesType:
			n, lerr := length(&r)
			if lerr != nil {
				return lerr
			}
			rest = protowire.AppendVarint(rest, uint64(n))
			rest, err = appendN(rest, &r, n)
		default:
			return errGroup
		}
		if err != nil {
			return err
		}
	}
	if err := proto.Unmarshal(rest, m); err != nil {
		return err
	}
	if field != nil {
		m.ProtoReflect().Set(fd, protoreflect.ValueOfBytes(field))
	}
	return nil
}

// varint reads a base-128 varint as protowire defines it (at most 10 bytes).
func varint(r *mem.Reader) (uint64, error) {
	var x uint64
	for i := 0; i < 10; i++ {
		b, err := r.ReadByte()
		if err != nil {
			return 0, errTruncated
		}
		x |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			return x, nil
		}
	}
	return 0, errors.New("rpccodec: varint overflow")
}

// length reads a length prefix no longer than what is left of the message.
func length(r *mem.Reader) (int, error) {
	n, err := varint(r)
	if err != nil {
		return 0, err
	}
	if n > uint64(r.Remaining()) {
		return 0, errTruncated
	}
	return int(n), nil
}

func appendN(b []byte, r *mem.Reader, n int) ([]byte, error) {
	if n > r.Remaining() {
		return b, errTruncated
	}
	at := len(b)
	b = slices.Grow(b, n)[:at+n]
	if _, err := io.ReadFull(r, b[at:]); err != nil {
		return b, errTruncated
	}
	return b, nil
}
