package data

import (
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	storagev1 "clouddrive/api/storage/v1"
)

// TestChunkMessageFitsPooledBuffer guards messageSize: the largest message
// an upload sends (an upload id, the largest index, a full payload) must fit
// grpc-go's 32 KiB buffer tier, or each message costs a 1 MiB buffer.
func TestChunkMessageFitsPooledBuffer(t *testing.T) {
	msg := &storagev1.ChunkData{UploadId: strings.Repeat("f", 64), Index: math.MaxInt64, Data: make([]byte, messageSize)}
	if n := proto.Size(msg); n > 32<<10 {
		t.Fatalf("the largest UploadChunks message is %d bytes, over 32 KiB", n)
	}
}
