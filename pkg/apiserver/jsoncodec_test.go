package apiserver

import (
	"bytes"
	stdjson "encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/go-kratos/kratos/v2/encoding"
	kerrors "github.com/go-kratos/kratos/v2/errors"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	_ "clouddrive/api/common/v1"
	_ "clouddrive/api/events/v1"
	_ "clouddrive/api/file/v1"
	_ "clouddrive/api/notify/v1"
	_ "clouddrive/api/share/v1"
	_ "clouddrive/api/storage/v1"
	_ "clouddrive/api/user/v1"
)

// Every message of the API, empty and filled with awkward values, is
// written by the codec as protojson writes it (whitespace aside: protojson
// adds random spaces on purpose).
func TestJSONCodecMatchesProtojson(t *testing.T) {
	codec := encoding.GetCodec("json")
	if _, ok := codec.(jsonCodec); !ok {
		t.Fatalf("the registered json codec is %T, want jsonCodec", codec)
	}
	ref := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}
	rnd := rand.New(rand.NewPCG(1, 2))
	var fast, total int
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		name := string(mt.Descriptor().FullName())
		if !strings.HasPrefix(name, "clouddrive.") && mt.Descriptor().FullName() != (&kerrors.Status{}).ProtoReflect().Descriptor().FullName() {
			return true
		}
		total++
		if !planFor(mt.Descriptor()).slow {
			fast++
		}
		for round := range 40 {
			m := mt.New()
			if round > 0 {
				fill(rnd, m, 3)
			}
			got, err := codec.Marshal(m.Interface())
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			want, err := ref.Marshal(m.Interface())
			if err != nil {
				t.Fatalf("%s with protojson: %v", name, err)
			}
			if c := compact(t, got); !bytes.Equal(c, got) {
				t.Errorf("%s: not compact:\n%s", name, got)
			}
			if w := compact(t, want); !bytes.Equal(got, w) {
				t.Fatalf("%s:\n got %s\nwant %s", name, got, w)
			}
		}
		return true
	})
	// The listing's and upload's answers must take the fast path.
	if fast < 50 || total < 100 {
		t.Fatalf("%d of %d API messages on the fast path; the registry or the plan is not what this test expects", fast, total)
	}
	for _, n := range []protoreflect.FullName{"clouddrive.file.v1.ListReply", "clouddrive.file.v1.Node", "clouddrive.storage.v1.UploadSession"} {
		mt, err := protoregistry.GlobalTypes.FindMessageByName(n)
		if err != nil {
			t.Fatal(err)
		}
		if planFor(mt.Descriptor()).slow {
			t.Errorf("%s goes to protojson", n)
		}
	}
}

// Invalid UTF-8 is refused as protojson refuses it, and values that are
// not proto messages go to kratos's codec.
func TestJSONCodecEdges(t *testing.T) {
	codec := encoding.GetCodec("json")
	mt, err := protoregistry.GlobalTypes.FindMessageByName("clouddrive.file.v1.Node")
	if err != nil {
		t.Fatal(err)
	}
	m := dynamicpb.NewMessage(mt.Descriptor())
	m.Set(mt.Descriptor().Fields().ByName("name"), protoreflect.ValueOfString("a\xffb"))
	if _, err := codec.Marshal(m); err == nil {
		t.Error("invalid UTF-8 was written")
	}
	b, err := codec.Marshal(map[string]int{"a": 1})
	if err != nil || string(b) != `{"a":1}` {
		t.Errorf("a map: %s, %v", b, err)
	}
	var back map[string]int
	if err := codec.Unmarshal([]byte(`{"b":2}`), &back); err != nil || back["b"] != 2 {
		t.Errorf("decoding: %v, %v", back, err)
	}
}

func compact(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := stdjson.Compact(&out, b); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return out.Bytes()
}

var awkward = []string{"", "plain", `quo"te\back/slash`, "ctl\x00\x01\x1f\x7f\n\t\r\b\f", "中文名.txt", "<a>&amp;", "\u2028\u2029", "\ufffd", "emoji 😀", strings.Repeat("x", 300)}

// fill sets every field of m to a random value, depth levels of messages deep.
func fill(r *rand.Rand, m protoreflect.Message, depth int) {
	fds := m.Descriptor().Fields()
	for i := range fds.Len() {
		fd := fds.Get(i)
		if r.IntN(4) == 0 {
			continue // left unset
		}
		switch {
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			for range r.IntN(3) {
				k := value(r, fd.MapKey(), m, depth)
				if fd.MapValue().Kind() == protoreflect.MessageKind {
					if depth > 0 {
						fill(r, mp.Mutable(k.MapKey()).Message(), depth-1)
					}
					continue
				}
				mp.Set(k.MapKey(), value(r, fd.MapValue(), m, depth))
			}
		case fd.IsList():
			l := m.Mutable(fd).List()
			for range r.IntN(4) {
				if fd.Kind() == protoreflect.MessageKind {
					e := l.NewElement()
					if depth > 0 {
						fill(r, e.Message(), depth-1)
					}
					l.Append(e)
					continue
				}
				l.Append(value(r, fd, m, depth))
			}
		case fd.Kind() == protoreflect.MessageKind:
			if depth > 0 {
				fill(r, m.Mutable(fd).Message(), depth-1)
			}
		default:
			m.Set(fd, value(r, fd, m, depth))
		}
	}
}

func value(r *rand.Rand, fd protoreflect.FieldDescriptor, m protoreflect.Message, depth int) protoreflect.Value {
	ints := []int64{0, 1, -1, 42, math.MaxInt32, math.MinInt32, math.MaxInt64, math.MinInt64, 1 << 53, 1<<53 + 1}
	switch fd.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(awkward[r.IntN(len(awkward))])
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(r.IntN(2) == 0)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(int32(ints[r.IntN(len(ints))]))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(uint32(ints[r.IntN(len(ints))]))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(ints[r.IntN(len(ints))])
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(uint64(ints[r.IntN(len(ints))]))
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(float32(r.NormFloat64() * 1e6))
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(r.NormFloat64() * 1e12)
	case protoreflect.BytesKind:
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return protoreflect.ValueOfBytes(b)
	case protoreflect.EnumKind:
		vals := fd.Enum().Values()
		if r.IntN(5) == 0 {
			return protoreflect.ValueOfEnum(999) // a number the enum does not name
		}
		return protoreflect.ValueOfEnum(vals.Get(r.IntN(vals.Len())).Number())
	}
	panic("unexpected kind " + fd.Kind().String())
}
