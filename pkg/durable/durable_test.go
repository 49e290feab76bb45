package durable

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"clouddrive/pkg/testkit/crashfs"
)

// Through a power cut on a file system that keeps only what was synced: the
// file written and the folders made on its way are there, whole.
func TestWriteFileSurvivesAPowerCut(t *testing.T) {
	if err := crashfs.Usable(); err != nil {
		t.Skipf("FUSE is not usable here: %v", err)
	}
	mnt := t.TempDir()
	disk, err := crashfs.Mount(mnt, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = disk.Unmount() }()
	secret := bytes.Repeat([]byte("k"), 64)
	p := filepath.Join(mnt, "data", "keys", "secret")
	if err := WriteFile(p, secret, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := MkdirAll(filepath.Join(mnt, "data", "blobs", "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	// What os.WriteFile leaves: gone (or empty) after the cut.
	if err := os.WriteFile(filepath.Join(mnt, "data", "keys", "plain"), secret, 0o600); err != nil {
		t.Fatal(err)
	}

	img := disk.Cut(nil)
	if err := disk.Unmount(); err != nil {
		t.Fatal(err)
	}
	if b, err := img.ReadFile("data/keys/secret"); err != nil || !bytes.Equal(b, secret) {
		t.Fatalf("the secret after the cut: %q, %v", b, err)
	}
	if _, err := img.ReadDir("data/blobs/x"); err != nil {
		t.Fatalf("the folder after the cut: %v", err)
	}
	if b, err := img.ReadFile("data/keys/plain"); err == nil && bytes.Equal(b, secret) {
		t.Fatalf("an unsynced file survived the strict cut: the model proves nothing")
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	names, _ := img.ReadDir("data/keys")
	for _, n := range names {
		if n != "secret" && n != "plain" {
			t.Errorf("a temporary file is left: %s", n)
		}
	}
}
