package data_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"clouddrive/app/file/internal/biz"
)

func TestMkdirNamesAndConflicts(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		ctx := f.ctx
		a := f.mkdir(alice, 0, "a")
		if a.ID == 0 || a.Kind != biz.KindFolder || a.Version != 1 || a.ParentID != 0 {
			t.Fatalf("Mkdir = %+v", a)
		}
		_, err := f.node.Mkdir(ctx, alice, 0, "a", false)
		wantReason(t, "Mkdir a twice", err, nameConflict)
		_, err = f.node.Mkdir(ctx, alice, 0, "A", false)
		wantReason(t, "Mkdir A beside a", err, nameConflict)

		// Auto-rename takes the smallest free number, whatever the case.
		for _, c := range []struct{ name, want string }{
			{"a", "a (1)"},
			{"a", "a (2)"},
			{"A", "A (3)"},
			{"v1.2", "v1.2"},
			{"v1.2", "v1.2 (1)"}, // a folder keeps its dot
		} {
			n, err := f.node.Mkdir(ctx, alice, 0, c.name, true)
			if err != nil || n.Name != c.want {
				t.Errorf("Mkdir(%q, rename) = %v, %v; want %q", c.name, n, err, c.want)
			}
		}

		// Files keep their extension; dotfiles have none.
		for _, c := range []struct{ name, want string }{
			{"report.pdf", "report.pdf"},
			{"report.pdf", "report (1).pdf"},
			{"REPORT.PDF", "REPORT (2).PDF"},
			{"report (1).pdf", "report (1) (1).pdf"},
			{".bashrc", ".bashrc"},
			{".bashrc", ".bashrc (1)"},
			{"archive.tar.gz", "archive.tar.gz"},
			{"archive.tar.gz", "archive.tar (1).gz"},
		} {
			n, err := f.node.CreateFile(ctx, biz.NewFile{Owner: alice, Name: c.name, Size: 1, ContentHash: hashOf(c.name), Rename: true})
			if err != nil || n.Name != c.want {
				t.Errorf("CreateFile(%q, rename) = %v, %v; want %q", c.name, n, err, c.want)
			}
		}
		_, err = f.node.CreateFile(ctx, biz.NewFile{Owner: alice, Name: "Report.Pdf", Size: 1})
		wantReason(t, "CreateFile Report.Pdf beside report.pdf", err, nameConflict)

		// A file and a folder share the namespace.
		_, err = f.node.CreateFile(ctx, biz.NewFile{Owner: alice, Name: "A", Size: 1})
		wantReason(t, "CreateFile A beside folder a", err, nameConflict)

		// The same names are free in another folder and for another user.
		f.mkdir(alice, a.ID, "a")
		f.mkdir(bob, 0, "a")

		// A trashed name is free again.
		gone := f.mkdir(alice, 0, "gone")
		f.del(alice, gone.ID)
		again := f.mkdir(alice, 0, "gone")
		if again.ID == gone.ID {
			t.Errorf("Mkdir after delete reused the id")
		}

		// Names that differ only by accents or by what a collation would fold
		// are different names; trailing spaces are significant.
		for _, n := range []string{"café", "cafe", "CAFÉ (x)", "x", "x ", "ß", "ss", "straße", "strasse"} {
			if _, err := f.node.Mkdir(ctx, alice, a.ID, n, false); err != nil {
				t.Errorf("Mkdir(%q) in a folder of distinct names: %v", n, err)
			}
		}
		got := sortedNames(f.listAll(alice, a.ID, biz.OrderName, false, 100))
		if len(got) != 10 {
			t.Errorf("folder a holds %q, want 10 names", got)
		}

		// Parents: missing, trashed, someone else's, a file.
		_, err = f.node.Mkdir(ctx, alice, 987654, "x", false)
		wantReason(t, "Mkdir in a missing folder", err, parentNotFound)
		_, err = f.node.Mkdir(ctx, alice, gone.ID, "x", false)
		wantReason(t, "Mkdir in a trashed folder", err, parentNotFound)
		file := f.file(alice, 0, "plain.txt", 3)
		_, err = f.node.Mkdir(ctx, alice, file.ID, "x", false)
		wantReason(t, "Mkdir in a file", err, notAFolder)
	})
}

// Numeric-looking names are names like any other: "007" is not "7", "1.0"
// is not "1" and "1e3" is not "1000".
func TestNumericNamesAreDistinct(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		pairs := [][2]string{{"007", "7"}, {"1.0", "1"}, {"1e3", "1000"}, {" 5", "5"}, {"0x10", "16"}}
		for _, p := range pairs {
			dir := f.mkdir(alice, 0, "dir-"+p[1])
			for _, n := range p {
				if _, err := f.node.Mkdir(f.ctx, alice, dir.ID, n, false); err != nil {
					t.Errorf("%s: Mkdir(%q) beside %q: %v", f.backend, n, p, err)
				}
			}
		}
		// Search finds digits inside names, and paging by name keeps them in
		// byte order with the others.
		dir := f.mkdir(alice, 0, "mixed")
		for _, n := range []string{"10", "9", "0100", "abc", "1a", "2"} {
			f.mkdir(alice, dir.ID, n)
		}
		p, err := f.node.Search(f.ctx, alice, "00", nil, 100)
		ok(t, "Search 00", err)
		if got := sortedNames(p.Items); !slices.Contains(got, "0100") || !slices.Contains(got, "007") {
			t.Errorf("%s: Search(00) = %q, want 007 and 0100 among them", f.backend, got)
		}
		got := names(f.listAll(alice, dir.ID, biz.OrderName, false, 2))
		want := []string{"0100", "10", "1a", "2", "9", "abc"}
		if !slices.Equal(got, want) {
			t.Errorf("%s: list by name = %q, want %q", f.backend, got, want)
		}
	})
}

func TestInvalidNames(t *testing.T) {
	bad := []string{"", ".", "..", "a/b", "/", "../etc", "a\x00b", "tab\tname", "line\nbreak", "\x7f",
		strings.Repeat("x", 256), "\xff\xfe", "   ", "bad\u0085"}
	eachBackend(t, func(t *testing.T, f *fx) {
		dir := f.mkdir(alice, 0, "dir")
		file := f.file(alice, 0, "f.txt", 1)
		before := f.snapshot()
		for _, name := range bad {
			_, err := f.node.Mkdir(f.ctx, alice, dir.ID, name, true)
			wantReason(t, "Mkdir "+strconvQuote(name), err, invalidName)
			_, err = f.node.CreateFile(f.ctx, biz.NewFile{Owner: alice, Parent: dir.ID, Name: name, Size: 1, Rename: true})
			wantReason(t, "CreateFile "+strconvQuote(name), err, invalidName)
			_, err = f.node.Rename(f.ctx, alice, file.ID, name, true)
			wantReason(t, "Rename to "+strconvQuote(name), err, invalidName)
		}
		f.sameAs("invalid names", before)

		// The longest name fits, and so does its auto-renamed twin.
		long := strings.Repeat("é", 127) + "x" // 255 bytes
		n1 := f.mkdir(alice, dir.ID, long)
		n2, err := f.node.Mkdir(f.ctx, alice, dir.ID, strings.ToUpper(long), true)
		ok(t, "Mkdir long twin", err)
		if len(n2.Name) > biz.MaxNameBytes || n2.Name == n1.Name || !strings.HasSuffix(n2.Name, " (1)") {
			t.Errorf("auto-renamed long name = %q (%d bytes)", n2.Name, len(n2.Name))
		}
	})
}

func strconvQuote(s string) string { return fmt.Sprintf("%+q", s) }

func TestRename(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		ctx := f.ctx
		one := f.file(alice, 0, "one.txt", 1)
		two := f.file(alice, 0, "two.txt", 1)
		dir := f.mkdir(alice, 0, "dir")

		n, err := f.node.Rename(ctx, alice, one.ID, "uno.txt", false)
		if err != nil || n.Name != "uno.txt" || n.Version != 2 || !n.UpdatedAt.After(one.UpdatedAt) {
			t.Fatalf("Rename = %+v, %v", n, err)
		}
		if s := f.stat(alice, one.ID); s.Name != "uno.txt" || s.Version != 2 {
			t.Errorf("Stat after rename = %+v", s)
		}
		_, err = f.node.Rename(ctx, alice, one.ID, "TWO.txt", false)
		wantReason(t, "Rename to TWO.txt beside two.txt", err, nameConflict)
		_, err = f.node.Rename(ctx, alice, one.ID, "Dir", false)
		wantReason(t, "Rename to Dir beside dir", err, nameConflict)
		n, err = f.node.Rename(ctx, alice, one.ID, "TWO.txt", true)
		if err != nil || n.Name != "TWO (1).txt" {
			t.Errorf("Rename(TWO.txt, rename) = %v, %v; want TWO (1).txt", n, err)
		}
		// Changing only the case of one's own name is no conflict.
		n, err = f.node.Rename(ctx, alice, two.ID, "Two.TXT", false)
		if err != nil || n.Name != "Two.TXT" {
			t.Errorf("Rename(two.txt → Two.TXT) = %v, %v", n, err)
		}
		// Renaming to the same name changes nothing.
		before := f.snapshot()
		n, err = f.node.Rename(ctx, alice, two.ID, "Two.TXT", false)
		if err != nil || n.Name != "Two.TXT" {
			t.Errorf("Rename to the same name = %v, %v", n, err)
		}
		f.sameAs("rename to the same name", before)

		_, err = f.node.Rename(ctx, alice, 987654, "x", false)
		wantReason(t, "Rename a missing node", err, nodeNotFound)
		f.del(alice, dir.ID)
		_, err = f.node.Rename(ctx, alice, dir.ID, "x", false)
		wantReason(t, "Rename a trashed node", err, nodeNotFound)
	})
}

func TestMove(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		ctx := f.ctx
		top := f.mkdir(alice, 0, "top")
		child := f.mkdir(alice, top.ID, "child")
		grand := f.mkdir(alice, child.ID, "grand")
		dst := f.mkdir(alice, 0, "dst")
		x := f.file(alice, 0, "x.txt", 5)
		y := f.file(alice, 0, "y.txt", 5)
		f.file(alice, dst.ID, "X.TXT", 5)
		leaf := f.file(alice, 0, "leaf", 1)

		cycles := []struct {
			name   string
			ids    []int64
			parent int64
		}{
			{"into itself", []int64{top.ID}, top.ID},
			{"into its child", []int64{top.ID}, child.ID},
			{"into its grandchild", []int64{top.ID}, grand.ID},
			{"middle into its child", []int64{child.ID}, grand.ID},
			{"with others, into itself", []int64{x.ID, top.ID}, grand.ID},
		}
		for _, c := range cycles {
			before := f.snapshot()
			_, err := f.node.Move(ctx, alice, c.ids, c.parent, true)
			wantReason(t, "Move "+c.name, err, moveIntoSelf)
			_, err = f.node.Copy(ctx, alice, c.ids, c.parent, true)
			wantReason(t, "Copy "+c.name, err, moveIntoSelf)
			f.sameAs("refused move "+c.name, before)
		}

		before := f.snapshot()
		_, err := f.node.Move(ctx, alice, []int64{x.ID}, dst.ID, false)
		wantReason(t, "Move x.txt onto X.TXT", err, nameConflict)
		_, err = f.node.Move(ctx, alice, []int64{y.ID, x.ID}, dst.ID, false)
		wantReason(t, "Move y and x onto X.TXT", err, nameConflict)
		_, err = f.node.Move(ctx, alice, []int64{y.ID}, 987654, false)
		wantReason(t, "Move into a missing folder", err, parentNotFound)
		_, err = f.node.Move(ctx, alice, []int64{y.ID, 987654}, dst.ID, false)
		wantReason(t, "Move a missing node", err, nodeNotFound)
		_, err = f.node.Move(ctx, alice, []int64{y.ID}, leaf.ID, false)
		wantReason(t, "Move into a file", err, notAFolder)
		f.sameAs("failed moves (all or nothing)", before)

		out, err := f.node.Move(ctx, alice, []int64{y.ID, x.ID, y.ID}, dst.ID, true)
		ok(t, "Move y, x into dst", err)
		if got := names(out); !slices.Equal(got, []string{"y.txt", "x (1).txt"}) {
			t.Errorf("Move returned %q", got)
		}
		got := names(f.listAll(alice, dst.ID, biz.OrderName, false, 100))
		if want := []string{"x (1).txt", "X.TXT", "y.txt"}; !slices.Equal(got, want) {
			t.Errorf("dst after move = %q, want %q", got, want)
		}
		if s := f.stat(alice, y.ID); s.ParentID != dst.ID || s.Version != 2 {
			t.Errorf("moved y = %+v", s)
		}

		// A folder moves with its subtree; moving where it already is is a no-op.
		_, err = f.node.Move(ctx, alice, []int64{child.ID}, dst.ID, false)
		ok(t, "Move child into dst", err)
		path, err := f.node.Path(ctx, alice, grand.ID)
		ok(t, "Path grand", err)
		if got := names(path); !slices.Equal(got, []string{"dst", "child", "grand"}) {
			t.Errorf("Path(grand) after move = %q", got)
		}
		before = f.snapshot()
		_, err = f.node.Move(ctx, alice, []int64{child.ID}, dst.ID, false)
		ok(t, "Move child where it is", err)
		f.sameAs("move in place", before)
		// Back to the root.
		_, err = f.node.Move(ctx, alice, []int64{grand.ID}, 0, false)
		ok(t, "Move grand to the root", err)
		if s := f.stat(alice, grand.ID); s.ParentID != 0 {
			t.Errorf("grand at root has parent %d", s.ParentID)
		}
		// Trashed nodes neither move nor receive.
		f.del(alice, top.ID)
		_, err = f.node.Move(ctx, alice, []int64{top.ID}, dst.ID, false)
		wantReason(t, "Move a trashed folder", err, nodeNotFound)
		_, err = f.node.Move(ctx, alice, []int64{grand.ID}, top.ID, false)
		wantReason(t, "Move into a trashed folder", err, parentNotFound)
	})
}

func TestCopy(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		ctx := f.ctx
		src := f.mkdir(alice, 0, "src")
		f1 := f.file(alice, src.ID, "f1.txt", 10)
		sub := f.mkdir(alice, src.ID, "sub")
		f2 := f.file(alice, sub.ID, "f2.txt", 20)
		subsub := f.mkdir(alice, sub.ID, "subsub")
		f3 := f.file(alice, subsub.ID, "f3.bin", 30)
		f.mkdir(alice, src.ID, "empty")
		binned := f.file(alice, sub.ID, "binned.txt", 1000)
		f.del(alice, binned.ID) // trashed content is not copied
		dst := f.mkdir(alice, 0, "dst")
		used := f.used(alice)
		nodes := f.count("nodes", "")

		out, err := f.node.Copy(ctx, alice, []int64{src.ID}, dst.ID, false)
		ok(t, "Copy src into dst", err)
		if len(out) != 1 || out[0].Name != "src" || out[0].ParentID != dst.ID || out[0].ID == src.ID {
			t.Fatalf("Copy returned %+v", out)
		}
		if got := f.used(alice); got != used+60 {
			t.Errorf("usage after copy = %d, want %d + 60", got, used)
		}
		if got := f.count("nodes", ""); got != nodes+7 {
			t.Errorf("nodes after copy = %d, want %d + 7", got, nodes)
		}
		// The copy has the same shape and contents under new ids.
		orig := map[string]*biz.Node{"src/f1.txt": f1, "src/sub/f2.txt": f2, "src/sub/subsub/f3.bin": f3}
		copies := f.walk(alice, out[0].ID, "src")
		var paths []string
		for p, n := range copies {
			paths = append(paths, p)
			if o, isOrig := orig[p]; isOrig {
				if n.ID == o.ID || n.ContentHash != o.ContentHash || n.Size != o.Size || n.Mime != o.Mime || n.Kind != biz.KindFile {
					t.Errorf("copy of %s = %+v, original %+v", p, n, o)
				}
			}
		}
		slices.Sort(paths)
		want := []string{"src/empty", "src/f1.txt", "src/sub", "src/sub/f2.txt", "src/sub/subsub", "src/sub/subsub/f3.bin"}
		if !slices.Equal(paths, want) {
			t.Errorf("copied tree = %q, want %q", paths, want)
		}
		// The original is untouched.
		if got := f.walk(alice, src.ID, "src"); len(got) != 6 || got["src/f1.txt"].ID != f1.ID {
			t.Errorf("original after copy: %v", got)
		}

		_, err = f.node.Copy(ctx, alice, []int64{src.ID}, dst.ID, false)
		wantReason(t, "Copy src onto its copy", err, nameConflict)
		out, err = f.node.Copy(ctx, alice, []int64{src.ID, f1.ID}, dst.ID, true)
		if err != nil || !slices.Equal(names(out), []string{"src (1)", "f1.txt"}) {
			t.Errorf("Copy with rename = %q, %v", names(out), err)
		}
		out, err = f.node.Copy(ctx, alice, []int64{f1.ID}, src.ID, true)
		if err != nil || len(out) != 1 || out[0].Name != "f1 (1).txt" || out[0].ContentHash != f1.ContentHash {
			t.Errorf("Copy a file beside itself = %+v, %v", out, err)
		}
		if got := f.used(alice); got != used+60+60+10+10 {
			t.Errorf("usage after copies = %d, want %d", got, used+140)
		}

		// Over quota: nothing is copied, nothing is charged, no event.
		f.setLimit(alice, f.used(alice)+59)
		before := f.snapshot()
		_, err = f.node.Copy(ctx, alice, []int64{src.ID}, 0, true)
		wantReason(t, "Copy over quota", err, quotaExceeded)
		_, err = f.node.Copy(ctx, alice, []int64{f1.ID, src.ID}, 0, true)
		wantReason(t, "Copy of a file and then a folder over quota", err, quotaExceeded)
		f.sameAs("copy over quota", before)
		// Exactly at the limit fits (src now holds 70 bytes: f1 (1).txt too).
		f.setLimit(alice, f.used(alice)+70)
		_, err = f.node.Copy(ctx, alice, []int64{src.ID}, 0, true)
		ok(t, "Copy to exactly the limit", err)

		_, err = f.node.Copy(ctx, alice, []int64{987654}, 0, true)
		wantReason(t, "Copy a missing node", err, nodeNotFound)
		_, err = f.node.Copy(ctx, alice, []int64{f1.ID}, 987654, true)
		wantReason(t, "Copy into a missing folder", err, parentNotFound)
	})
}

// walk maps "prefix/relative/path" to every live node under id (id itself
// as prefix).
func (f *fx) walk(owner, id int64, prefix string) map[string]*biz.Node {
	f.t.Helper()
	out := map[string]*biz.Node{}
	var rec func(id int64, p string)
	rec = func(id int64, p string) {
		for _, n := range f.listAll(owner, id, biz.OrderName, false, 1000) {
			q := p + "/" + n.Name
			out[q] = n
			if n.Kind == biz.KindFolder {
				rec(n.ID, q)
			}
		}
	}
	rec(id, prefix)
	return out
}

func TestStatPathList(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		ctx := f.ctx
		a := f.mkdir(alice, 0, "a")
		b := f.mkdir(alice, a.ID, "b")
		c := f.file(alice, b.ID, "c.txt", 7)

		s := f.stat(alice, c.ID)
		if s.Name != "c.txt" || s.Size != 7 || s.ParentID != b.ID || s.ContentHash != hashOf("c.txt") || !s.Live() {
			t.Errorf("Stat(c) = %+v", s)
		}
		path, err := f.node.Path(ctx, alice, c.ID)
		ok(t, "Path(c)", err)
		if got := names(path); !slices.Equal(got, []string{"a", "b", "c.txt"}) {
			t.Errorf("Path(c) = %q", got)
		}
		path, err = f.node.Path(ctx, alice, a.ID)
		if err != nil || !slices.Equal(names(path), []string{"a"}) {
			t.Errorf("Path(a) = %q, %v", names(path), err)
		}

		// Folders first, then by the order.
		d := f.mkdir(alice, 0, "Zed")
		f.file(alice, 0, "big", 100)
		f.file(alice, 0, "Alpha", 5)
		f.file(alice, 0, "mid", 50)
		for _, c := range []struct {
			order string
			desc  bool
			want  []string
		}{
			{biz.OrderName, false, []string{"a", "Zed", "Alpha", "big", "mid"}},
			{biz.OrderName, true, []string{"Zed", "a", "mid", "big", "Alpha"}},
			{biz.OrderSize, false, []string{"a", "Zed", "Alpha", "mid", "big"}},
			{biz.OrderSize, true, []string{"Zed", "a", "big", "mid", "Alpha"}},
			{biz.OrderUpdated, false, []string{"a", "Zed", "big", "Alpha", "mid"}},
			{biz.OrderUpdated, true, []string{"Zed", "a", "mid", "Alpha", "big"}},
			{"", false, []string{"a", "Zed", "Alpha", "big", "mid"}},
		} {
			for _, size := range []int{1, 2, 100} {
				if got := names(f.listAll(alice, 0, c.order, c.desc, size)); !slices.Equal(got, c.want) {
					t.Errorf("List(root, %q, desc=%v, size %d) = %q, want %q", c.order, c.desc, size, got, c.want)
				}
			}
		}
		p, err := f.node.List(ctx, biz.ListQuery{Owner: alice, Parent: a.ID})
		if err != nil || len(p.Items) != 1 || p.Next != nil {
			t.Errorf("List(a) = %+v, %v", p, err)
		}
		_, err = f.node.List(ctx, biz.ListQuery{Owner: alice, Parent: c.ID})
		wantReason(t, "List a file", err, notAFolder)
		_, err = f.node.List(ctx, biz.ListQuery{Owner: alice, Parent: 987654})
		wantReason(t, "List a missing folder", err, nodeNotFound)

		f.del(alice, a.ID)
		for what, err := range map[string]error{
			"Stat a trashed file":     errOf(f.node.Stat(ctx, alice, c.ID)),
			"Stat a trashed folder":   errOf(f.node.Stat(ctx, alice, a.ID)),
			"Path of a trashed file":  errOf(f.node.Path(ctx, alice, c.ID)),
			"List a trashed folder":   errOf(f.node.List(ctx, biz.ListQuery{Owner: alice, Parent: b.ID})),
			"Stat a missing node":     errOf(f.node.Stat(ctx, alice, 987654)),
			"Path of a missing node":  errOf(f.node.Path(ctx, alice, 987654)),
			"GetNode of another user": errOf(f.node.GetNode(ctx, bob, d.ID)),
		} {
			wantReason(t, what, err, nodeNotFound)
		}
		// GetNode (for other services) sees trashed nodes of the owner.
		if n, err := f.node.GetNode(ctx, alice, c.ID); err != nil || n.Live() {
			t.Errorf("GetNode(trashed c) = %+v, %v", n, err)
		}
	})
}

func errOf[T any](_ T, err error) error { return err }

func TestSearch(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fx) {
		ctx := f.ctx
		dir := f.mkdir(alice, 0, "Holidays")
		for _, n := range []string{"Holiday Photo.JPG", "holiday-notes.txt", "100% done", "a_b", "axb", `back\slash`, "bang!x", "Ünïcode Straße"} {
			f.file(alice, dir.ID, n, 1)
		}
		binned := f.file(alice, 0, "holiday trashed", 1)
		f.del(alice, binned.ID)
		f.file(bob, 0, "holiday of bob", 1)

		for _, c := range []struct {
			q    string
			want []string
		}{
			{"HOLIDAY", []string{"Holiday Photo.JPG", "holiday-notes.txt", "Holidays"}},
			{"photo", []string{"Holiday Photo.JPG"}},
			{"%", []string{"100% done"}},
			{"_", []string{"a_b"}},
			{`\`, []string{`back\slash`}},
			{"!", []string{"bang!x"}},
			{"straße", []string{"Ünïcode Straße"}},
			{"ünï", []string{"Ünïcode Straße"}},
			{"nothing like it", nil},
		} {
			p, err := f.node.Search(ctx, alice, c.q, nil, 100)
			ok(t, "Search "+c.q, err)
			if got := sortedNames(p.Items); !slices.Equal(got, sortedCopy(c.want)) {
				t.Errorf("Search(%q) = %q, want %q", c.q, got, c.want)
			}
		}
		// Paging one at a time returns each match once, in name order.
		var got []string
		var after *biz.Cursor
		for i := 0; i < 20; i++ {
			p, err := f.node.Search(ctx, alice, "o", after, 1)
			ok(t, "Search page", err)
			got = append(got, names(p.Items)...)
			if after = p.Next; after == nil {
				break
			}
		}
		want := []string{"100% done", "Holiday Photo.JPG", "holiday-notes.txt", "Holidays", "Ünïcode Straße"}
		if !slices.Equal(got, want) {
			t.Errorf("Search(o) paged by 1 = %q, want %q", got, want)
		}
	})
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	if out == nil {
		return []string{}
	}
	return out
}
