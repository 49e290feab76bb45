package rpccodec_test

import (
	"bytes"
	"runtime"
	"testing"

	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	storagev1 "clouddrive/api/storage/v1"
	"clouddrive/pkg/rpccodec"
)

func init() {
	rpccodec.Pool((&storagev1.ChunkData{}).ProtoReflect().Descriptor().Fields().ByName("data"))
}

// frames cuts an encoded message the way the transport hands it over: in
// pieces of size bytes (HTTP/2 frames), or of 1 byte where every split
// of a tag or a length must be survived.
func frames(b []byte, size int) mem.BufferSlice {
	var s mem.BufferSlice
	for len(b) > 0 {
		n := min(size, len(b))
		s = append(s, mem.SliceBuffer(b[:n]))
		b = b[n:]
	}
	return s
}

func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

func marshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeAsProtobuf(t *testing.T) {
	big := marshal(t, &storagev1.ChunkData{UploadId: "u-123", Index: 7, Data: payload(1 << 20)})
	// Unknown fields of every wire type, the data field twice (the last
	// one wins), and the fields out of their usual order.
	odd := marshal(t, &storagev1.ChunkData{Data: payload(40 << 10)})
	odd = protowire.AppendTag(odd, 99, protowire.BytesType)
	odd = protowire.AppendBytes(odd, []byte("unknown"))
	odd = protowire.AppendTag(odd, 98, protowire.Fixed32Type)
	odd = protowire.AppendFixed32(odd, 0xdeadbeef)
	odd = protowire.AppendTag(odd, 97, protowire.Fixed64Type)
	odd = protowire.AppendFixed64(odd, 1)
	odd = protowire.AppendTag(odd, 2, protowire.VarintType)
	odd = protowire.AppendVarint(odd, 1<<40)
	odd = protowire.AppendTag(odd, 3, protowire.BytesType)
	odd = protowire.AppendBytes(odd, payload(20 << 10)[7:])
	odd = protowire.AppendTag(odd, 1, protowire.BytesType)
	odd = protowire.AppendBytes(odd, []byte("late-id"))
	odd = protowire.AppendTag(odd, 3, protowire.VarintType) // the data field's number, wrong type: unknown
	odd = protowire.AppendVarint(odd, 5)
	odd = protowire.AppendTag(odd, 96, protowire.StartGroupType) // a group: protobuf-go's own path
	odd = protowire.AppendTag(odd, 96, protowire.EndGroupType)

	codec := rpccodec.New()
	for _, tc := range []struct {
		name string
		wire []byte
	}{
		{"a full message", big},
		{"index only", marshal(t, &storagev1.ChunkData{Index: 3})},
		{"empty", nil},
		{"small data (not pooled)", marshal(t, &storagev1.ChunkData{UploadId: "x", Data: []byte("hello")})},
		{"unknown fields, repeats, any order", odd},
	} {
		for _, size := range []int{1, 16 << 10, len(tc.wire) + 1} {
			want := &storagev1.ChunkData{}
			if err := proto.Unmarshal(tc.wire, want); err != nil {
				t.Fatal(err)
			}
			got := &storagev1.ChunkData{}
			if err := codec.Unmarshal(frames(tc.wire, size), got); err != nil {
				t.Fatalf("%s in frames of %d: %v", tc.name, size, err)
			}
			if !proto.Equal(got, want) {
				t.Fatalf("%s in frames of %d: decoded as %d bytes of data, id %q, index %d; want %d, %q, %d", tc.name, size,
					len(got.GetData()), got.GetUploadId(), got.GetIndex(), len(want.GetData()), want.GetUploadId(), want.GetIndex())
			}
			if !bytes.Equal(got.ProtoReflect().GetUnknown(), want.ProtoReflect().GetUnknown()) {
				t.Fatalf("%s: unknown fields %x, want %x", tc.name, got.ProtoReflect().GetUnknown(), want.ProtoReflect().GetUnknown())
			}
			rpccodec.Release(got.GetData())
		}
	}
}

func TestDecodeRefusesWhatProtobufRefuses(t *testing.T) {
	full := marshal(t, &storagev1.ChunkData{UploadId: "u", Index: 1, Data: payload(64 << 10)})
	bad := map[string][]byte{
		"data cut short":      full[:len(full)-10],
		"a tag cut short":     {0x80},
		"field number 0":      {0x00, 0x01},
		"a length too long":   append(protowire.AppendTag(nil, 3, protowire.BytesType), 0xff, 0xff, 0x03, 1, 2),
		"a varint overflow":   append(protowire.AppendTag(nil, 2, protowire.VarintType), bytes.Repeat([]byte{0xff}, 11)...),
		"a lone end of group": protowire.AppendTag(nil, 5, protowire.EndGroupType),
	}
	codec := rpccodec.New()
	for name, wire := range bad {
		if err := proto.Unmarshal(wire, &storagev1.ChunkData{}); err == nil {
			t.Fatalf("%s: protobuf-go accepts it; the case is wrong", name)
		}
		if err := codec.Unmarshal(frames(wire, 3), &storagev1.ChunkData{}); err == nil {
			t.Errorf("%s: decoded without an error", name)
		}
	}
}

func TestOtherMessagesAsGRPC(t *testing.T) {
	// A message with no pooled field (and a bytes field of its own) is
	// grpc-go's business, encoding and decoding.
	codec, base := rpccodec.New(), encoding.GetCodecV2(grpcproto.Name)
	in := wrapperspb.Bytes(payload(100 << 10))
	enc, err := codec.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := base.Marshal(in)
	if !bytes.Equal(enc.Materialize(), want.Materialize()) {
		t.Fatal("Marshal differs from grpc-go's")
	}
	out := &wrapperspb.BytesValue{}
	if err := codec.Unmarshal(enc, out); err != nil || !proto.Equal(in, out) {
		t.Fatalf("round trip: %v", err)
	}
	if codec.Name() != "proto" {
		t.Fatalf("name %q: clients ask for proto", codec.Name())
	}
}

// bytesPerDecode is the heap allocated per decoded 1 MiB message (arriving
// in 16 KiB frames), its buffer released after each as a handler does.
func bytesPerDecode(t *testing.T, c encoding.CodecV2, release bool) float64 {
	t.Helper()
	wire := marshal(t, &storagev1.ChunkData{UploadId: "u-1", Index: 4, Data: payload(1 << 20)})
	data := frames(wire, 16<<10)
	one := func() {
		m := &storagev1.ChunkData{}
		if err := c.Unmarshal(data, m); err != nil || len(m.GetData()) != 1<<20 {
			t.Fatalf("decode: %v", err)
		}
		if release {
			rpccodec.Release(m.GetData())
		}
	}
	runtime.GC() // no collection of earlier garbage during the runs
	one()        // the pool's first buffer
	const runs = 64
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		one()
	}
	runtime.ReadMemStats(&after)
	return float64(after.TotalAlloc-before.TotalAlloc) / runs
}

// TestDecodeAllocatesNoPayload is the regression test of the upload
// streams' memory: with the buffer released, decoding a 1 MiB message
// allocates next to nothing (grpc-go's codec: over 1 MiB, a fresh copy
// of the payload each time, which is what filled the heap).
func TestDecodeAllocatesNoPayload(t *testing.T) {
	base := bytesPerDecode(t, encoding.GetCodecV2(grpcproto.Name), false)
	if base < 1<<20 {
		t.Fatalf("grpc-go's codec allocates %.0f bytes a message: the measurement sees no payload copy", base)
	}
	// A collection during the runs would empty the pool once (one buffer,
	// 16 KiB a run): the bound leaves room for a few.
	got := bytesPerDecode(t, rpccodec.New(), true)
	t.Logf("bytes allocated per 1 MiB message: grpc-go's codec %.0f, this one %.0f", base, got)
	if got > 64<<10 {
		t.Fatalf("decoding a 1 MiB message allocates %.0f bytes (want under 64 KiB: the payload in a pooled buffer)", got)
	}
}
