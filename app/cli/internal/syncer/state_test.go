package syncer

import (
	"reflect"
	"sort"
	"testing"
)

func keys(m map[string]*Base) []string {
	var out []string
	for k, b := range m {
		if b.Path != k {
			out = append(out, "!"+k)
		}
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestStateSurvivesReopen: bases, moves (with LIKE's special characters in
// names) and deletes of subtrees are in the SQLite file, not only in memory.
func TestStateSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenState(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []Base{
		*bdir("a_%", "n1", 1), *bfile("a_%/x", "h", "n2", 2), *bfile("ab%/y", "h", "n3", 3),
		*bdir("keep", "n4", 4), *bfile("keep/z", "h", "n5", 5), *bfile("gone/w", "h", "n6", 6),
	} {
		if err := st.Put(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Move("a_%", "moved"); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete("gone"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetMeta("device", "laptop"); err != nil {
		t.Fatal(err)
	}
	want := []string{"ab%/y", "keep", "keep/z", "moved", "moved/x"}
	if got := keys(st.All()); !reflect.DeepEqual(got, want) {
		t.Errorf("in memory %v, want %v", got, want)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = OpenState(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got := keys(st.All()); !reflect.DeepEqual(got, want) {
		t.Errorf("after reopening %v, want %v", got, want)
	}
	if b := st.Get("moved/x"); b == nil || b.NodeID != "n2" || b.Ino != 2 {
		t.Errorf("moved/x: %+v", b)
	}
	if v, err := st.Meta("device"); err != nil || v != "laptop" {
		t.Errorf("device %q, %v", v, err)
	}
}

// TestLock: a second sync of the same folder is refused while the first runs.
func TestLock(t *testing.T) {
	dir := t.TempDir()
	unlock, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(dir); err == nil {
		t.Error("a second lock was taken")
	}
	unlock()
	again, err := Lock(dir)
	if err != nil {
		t.Fatalf("after unlocking: %v", err)
	}
	again()
}
