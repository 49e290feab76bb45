package storage_test

import (
	"context"
	"math"
	"strings"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	storagev1 "clouddrive/api/storage/v1"
)

// A first UploadChunks message with index -1 (and no upload or data) hit a
// nil writer in the handler and, streams having no recovery, ended the
// whole drive: this test process died. Now it is a refusal with a reason,
// and the drive serves on.
func TestUploadChunksFirstIndexMinusOne(t *testing.T) {
	d := theDriveFor(t)
	alice := d.as(context.Background(), d.aliceTok)
	for _, tc := range []struct {
		msg    *storagev1.ChunkData
		reason string
	}{
		{&storagev1.ChunkData{Index: -1}, "UPLOAD_NOT_FOUND"},
		{&storagev1.ChunkData{Index: -1, Data: []byte("x")}, "UPLOAD_NOT_FOUND"},
		{&storagev1.ChunkData{UploadId: d.aliceUpload, Index: -1, Data: []byte("x")}, "BAD_CHUNK"},
		{&storagev1.ChunkData{UploadId: d.aliceUpload, Index: math.MinInt64}, "BAD_CHUNK"},
		{&storagev1.ChunkData{UploadId: d.bobUpload, Index: 1, Data: []byte("0123456789")}, "UPLOAD_NOT_FOUND"},
	} {
		_, err := d.sendChunks(alice, tc.msg)
		checkRefusal(t, "index -1", err)
		if err == nil || kerrors.FromError(err).Reason != tc.reason {
			t.Fatalf("%v: %v, want %s", tc.msg, err, tc.reason)
		}
	}
	// Still serving.
	if _, err := d.storage.UploadStatus(alice, &storagev1.UploadStatusRequest{UploadId: d.aliceUpload}); err != nil {
		t.Fatalf("after the bad streams: %v", err)
	}
	d.checkBobUntouched(t)
	d.checkNoPanic(t)
}

// FuzzStreams drives UploadChunks and Download, the storage API's streams,
// with a script of messages (see script) as alice, through the real drive.
// Whatever the script, the drive does not panic, every error is a refusal
// with a reason (never INTERNAL or UNKNOWN), bob's file and upload do not
// change, and alice never reads bob's bytes. The seeds (testdata/fuzz) run
// with every go test; go test -fuzz FuzzStreams explores further.
func FuzzStreams(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		d := theDriveFor(t)
		alice := d.as(context.Background(), d.aliceTok)
		dl, msgs := d.script(in)
		_, err := d.sendChunks(alice, msgs...)
		checkRefusal(t, "UploadChunks", err)
		got, err := d.download(alice, dl)
		checkRefusal(t, "Download", err)
		if dl.GetId() == d.bobFile && (err == nil || len(got) > 0) {
			t.Fatalf("alice downloaded bob's file: %q, %v", got, err)
		}
		d.checkBobUntouched(t)
		d.checkNoPanic(t)
	})
}

// maxMessages bounds one script's stream.
const maxMessages = 64

// script reads a fuzz input. Byte 0 is the download to try:
//
//	bits 0-1 the id: alice's file, bob's file, "", a number of no file
//	bits 2-3 the offset: 0, -1, 5, 2^62
//	bits 4-5 the length: 0, -1, 3, MaxInt64
//
// then each 3 bytes are one ChunkData, [flags][index][n]:
//
//	flags bits 0-2 the upload id: none, alice's open upload, bob's open
//	  upload, "x", 300 letters, alice's file id, NUL and RTL override, none
//	flags bit 3: the data is exactly the last chunk's length
//	index, signed: -128 is MinInt64, 127 MaxInt64, 126 one past the end
//	n: the data is 4·n² bytes (up to 260 KB)
func (d *drive) script(in []byte) (*storagev1.DownloadRequest, []*storagev1.ChunkData) {
	dl := &storagev1.DownloadRequest{}
	if len(in) > 0 {
		b := in[0]
		dl.Id = []string{d.aliceFile, d.bobFile, "", "99999999999999999999"}[b&3]
		dl.Offset = []int64{0, -1, 5, 1 << 62}[b>>2&3]
		dl.Length = []int64{0, -1, 3, math.MaxInt64}[b>>4&3]
		in = in[1:]
	}
	ids := []string{"", d.aliceUpload, d.bobUpload, "x", strings.Repeat("a", 300), d.aliceFile, "é\x00\u202e", ""}
	var msgs []*storagev1.ChunkData
	for ; len(in) >= 3 && len(msgs) < maxMessages; in = in[3:] {
		flags, idx, n := in[0], int8(in[1]), int(in[2])
		m := &storagev1.ChunkData{UploadId: ids[flags&7]}
		switch idx {
		case -128:
			m.Index = math.MinInt64
		case 127:
			m.Index = math.MaxInt64
		case 126:
			m.Index = 2 // the uploads have two chunks
		default:
			m.Index = int64(idx)
		}
		size := 4 * n * n
		if flags&8 != 0 {
			size = lastLen
		}
		m.Data = make([]byte, size)
		for i := range m.Data {
			m.Data[i] = byte(i) ^ flags
		}
		msgs = append(msgs, m)
	}
	return dl, msgs
}
