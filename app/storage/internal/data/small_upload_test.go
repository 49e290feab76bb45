package data_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	"clouddrive/app/storage/internal/biz"
	"clouddrive/pkg/telemetry"
)

func TestPutFileInOneRequest(t *testing.T) {
	for name, db := range integrityDatabases(t) {
		t.Run(name, func(t *testing.T) {
			w := newIntegrityWorld(t, db)
			content := randomContent(t, 4096)
			hash := biz.HashBytes(content)

			// Without a hash: the server hashes it.
			n, err := w.up.PutFile(w.ctx, biz.NewFile{Owner: 1, Name: "a.txt", Size: int64(len(content))}, bytes.NewReader(content))
			if err != nil {
				t.Fatal(err)
			}
			if n.ContentHash != hash || n.Size != 4096 {
				t.Fatalf("node %+v", n)
			}
			if got := w.download(t, hash, 4096); !bytes.Equal(got, content) {
				t.Fatal("stored bytes differ")
			}
			b, err := w.blobs.Get(w.ctx, hash)
			if err != nil || !b.Trusted(4096) {
				t.Fatalf("blob %+v, %v: want a verified blob", b, err)
			}

			// With its hash, by someone else: deduplicated, nothing written.
			before := partFiles(t, w)
			n2, err := w.up.PutFile(w.ctx, biz.NewFile{Owner: 2, Name: "b.txt", Size: 4096, ContentHash: hash}, bytes.NewReader(content))
			if err != nil || n2.ContentHash != hash || n2.ID == n.ID {
				t.Fatalf("second put: %+v, %v", n2, err)
			}
			if after := partFiles(t, w); after != before {
				t.Fatalf("a deduplicated put left %d part files (was %d)", after, before)
			}

			// A hash that the bytes do not match, stored or not: refused, nothing kept.
			for what, claimed := range map[string]string{"stored": hash, "absent": biz.HashBytes([]byte("other"))} {
				other := randomContent(t, 4096)
				_, err := w.up.PutFile(w.ctx, biz.NewFile{Owner: 3, Name: "c.txt", Size: 4096, ContentHash: claimed}, bytes.NewReader(other))
				if e := kerrors.FromError(err); e.Code != 422 || e.Reason != "HASH_MISMATCH" {
					t.Fatalf("%s hash, other bytes: %v; want 422 HASH_MISMATCH", what, err)
				}
			}
			if got := w.download(t, hash, 4096); !bytes.Equal(got, content) {
				t.Fatal("a mismatching put changed the stored blob")
			}

			// A body shorter or longer than its length, and too large a file.
			for what, tc := range map[string]struct {
				size int64
				body []byte
				code int
			}{
				"short":     {4096, content[:100], 400},
				"long":      {100, content, 400},
				"too large": {biz.BlockSize*8 + 1, nil, 413},
			} {
				_, err := w.up.PutFile(w.ctx, biz.NewFile{Owner: 1, Name: what + ".txt", Size: tc.size}, bytes.NewReader(tc.body))
				if e := kerrors.FromError(err); int(e.Code) != tc.code {
					t.Errorf("%s: %v; want %d", what, err, tc.code)
				}
			}

			// An empty file.
			if n, err := w.up.PutFile(w.ctx, biz.NewFile{Owner: 1, Name: "empty.txt"}, bytes.NewReader(nil)); err != nil || n.Size != 0 {
				t.Fatalf("empty: %+v, %v", n, err)
			}
			if len(w.files.all()) != 3 {
				t.Fatalf("%d nodes, want 3", len(w.files.all()))
			}
		})
	}
}

func partFiles(t *testing.T, w *integrityWorld) int {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(w.store.Root(), "uploads"))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// A small upload of new content costs the storage database one lookup and
// one insert (before: the blob was looked up twice), in one transaction.
func TestPutFileStatements(t *testing.T) {
	for name, db := range integrityDatabases(t) {
		t.Run(name, func(t *testing.T) {
			w := newIntegrityWorld(t, db)
			stmts, txs := dbCounters(t, "storage")
			content := randomContent(t, 4096)
			if _, err := w.up.PutFile(w.ctx, biz.NewFile{Owner: 1, Name: "a.txt", Size: 4096}, bytes.NewReader(content)); err != nil {
				t.Fatal(err)
			}
			s, x := dbCounters(t, "storage")
			if s-stmts != 2 || x-txs != 1 {
				t.Fatalf("%v statements in %v transactions, want 2 in 1", s-stmts, x-txs)
			}
		})
	}
}

// dbCounters reads pkg/database's statement and transaction counters of
// database db (every series of the name).
func dbCounters(t *testing.T, db string) (stmts, txs float64) {
	t.Helper()
	fs, err := telemetry.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() != "db" || l.GetValue() != db {
					continue
				}
				switch f.GetName() {
				case "clouddrive_db_statements_total":
					stmts += m.GetCounter().GetValue()
				case "clouddrive_db_transactions_total":
					txs += m.GetCounter().GetValue()
				}
			}
		}
	}
	return stmts, txs
}
