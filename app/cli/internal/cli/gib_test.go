package cli_test

import (
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// A 1 GiB file through the CLI, as the issue asks: put with parallel
// chunks, get with parallel ranges, byte-identical.
func TestDrive1GiBRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: moves a GiB through the standalone binary")
	}
	s := startServer(t)
	u := s.register(t, "gib")
	s.ok(t, u, "login", "-u", u.name, "-p", u.password)

	dir := t.TempDir()
	src := filepath.Join(dir, "big.bin")
	want := writePseudoRandom(t, src, 1<<30)
	r := s.ok(t, u, "put", "-j", "4", src, "/")
	if got := r.stats.BytesSent.Load(); got != 1<<30 {
		t.Fatalf("sent %d bytes, want 1 GiB", got)
	}
	dst := filepath.Join(dir, "back.bin")
	s.ok(t, u, "get", "-j", "4", "/big.bin", dst)
	if got := fileSum(t, dst); got != want {
		t.Fatalf("the GiB came back different: %x, want %x", got, want)
	}
}

// writePseudoRandom streams size bytes of a seeded PRNG to path (no GiB in
// memory) and returns their SHA-256.
func writePseudoRandom(t *testing.T, path string, size int64) [32]byte {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	rng := rand.NewChaCha8([32]byte{7})
	if _, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(rng, size)); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}
