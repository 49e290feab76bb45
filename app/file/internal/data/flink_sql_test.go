package data

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm/schema"

	"clouddrive/pkg/cdc"
)

// flinkColumn is a column of a CREATE TABLE in flink/jobs.
type flinkColumn struct {
	Name, Type string
	NotNull    bool
}

var (
	createTableRe = regexp.MustCompile(`(?is)CREATE TABLE\s+(\w+)\s*\((.*?)\)\s*WITH\s*\((.*?)\);`)
	columnRe      = regexp.MustCompile(`^\s*(\w+)\s+([A-Z]+(?:\(\d+\))?)(\s+NOT NULL)?\s*,?\s*$`)
)

// flinkTables reads every CREATE TABLE of flink/jobs/*.sql: its columns and
// its WITH options.
func flinkTables(t *testing.T) map[string]struct {
	cols []flinkColumn
	with string
} {
	t.Helper()
	files, err := filepath.Glob("../../../../flink/jobs/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no flink/jobs/*.sql: %v", err)
	}
	out := map[string]struct {
		cols []flinkColumn
		with string
	}{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, l := range strings.Split(string(b), "\n") {
			if i := strings.Index(l, "--"); i >= 0 {
				l = l[:i]
			}
			lines = append(lines, l)
		}
		for _, m := range createTableRe.FindAllStringSubmatch(strings.Join(lines, "\n"), -1) {
			var cols []flinkColumn
			for _, l := range strings.Split(m[2], "\n") {
				if strings.TrimSpace(l) == "" || strings.Contains(l, "PRIMARY KEY") {
					continue
				}
				c := columnRe.FindStringSubmatch(l)
				if c == nil {
					t.Fatalf("%s: table %s: cannot read column %q", f, m[1], l)
				}
				cols = append(cols, flinkColumn{Name: c[1], Type: c[2], NotNull: c[3] != ""})
			}
			out[m[1]] = struct {
				cols []flinkColumn
				with string
			}{cols, m[3]}
		}
	}
	return out
}

// flinkTypeOf is the Flink SQL type a gorm column maps to under mysql-cdc:
// BIGINT, TINYINT, VARCHAR(n), VARBINARY(n), DATETIME(3) as TIMESTAMP(3).
func flinkTypeOf(t *testing.T, f *schema.Field) string {
	t.Helper()
	tag := strings.ToUpper(f.TagSettings["TYPE"])
	switch {
	case f.FieldType == reflect.TypeOf(nameKey("")):
		return "VARBINARY(1020)" // nameKey.GormDBDataType on MySQL
	case strings.HasPrefix(tag, "VARCHAR"):
		return tag
	case tag == "TINYINT":
		return "TINYINT"
	}
	ft := f.FieldType
	if ft.Kind() == reflect.Pointer {
		ft = ft.Elem()
	}
	switch {
	case ft == reflect.TypeOf(time.Time{}):
		return "TIMESTAMP(3)" // gorm's MySQL datetime(3)
	case ft.Kind() == reflect.Int64:
		return "BIGINT"
	case ft.Kind() == reflect.Int8:
		return "TINYINT"
	}
	t.Fatalf("column %s: no Flink type for %v (tag %q); extend the test with the mapping", f.DBName, f.FieldType, tag)
	return ""
}

func TestFlinkJobsMatchTheModels(t *testing.T) {
	tables := flinkTables(t)
	cases := []struct {
		model        any
		source, sink string
		topic, key   string
		row          any
	}{
		{&nodeModel{}, "nodes_binlog", "nodes_changes", cdc.TopicNodes, "id", cdc.NodeRow{}},
		{&quotaModel{}, "quotas_binlog", "quotas_changes", cdc.TopicQuotas, "owner_id", cdc.QuotaRow{}},
	}
	for _, c := range cases {
		s, err := schema.Parse(c.model, &sync.Map{}, schema.NamingStrategy{})
		if err != nil {
			t.Fatal(err)
		}
		var want []flinkColumn
		for _, f := range s.Fields {
			if f.DBName == "" {
				continue
			}
			nullable := f.FieldType.Kind() == reflect.Pointer
			want = append(want, flinkColumn{Name: f.DBName, Type: flinkTypeOf(t, f), NotNull: f.NotNull || f.PrimaryKey && !nullable})
		}
		for _, name := range []string{c.source, c.sink} {
			tab, ok := tables[name]
			if !ok {
				t.Fatalf("flink/jobs: no table %s", name)
			}
			if !reflect.DeepEqual(tab.cols, want) {
				t.Errorf("flink/jobs table %s disagrees with %s's gorm model:\n got %v\nwant %v", name, s.Table, tab.cols, want)
			}
		}
		src := tables[c.source].with
		for _, opt := range []string{`'connector' = 'mysql-cdc'`, `'table-name' = '` + s.Table + `'`, `'database-name' = 'clouddrive_file'`} {
			if !strings.Contains(src, opt) {
				t.Errorf("%s: want %s", c.source, opt)
			}
		}
		sink := tables[c.sink].with
		for _, opt := range []string{`'connector' = 'kafka'`, `'topic' = '` + c.topic + `'`, `'value.format' = 'debezium-json'`,
			`'key.format' = 'json'`, `'key.fields' = '` + c.key + `'`} {
			if !strings.Contains(sink, opt) {
				t.Errorf("%s: want %s", c.sink, opt)
			}
		}
		// The rows cdcrelay writes and cachesync reads carry the same
		// columns in the same order (Flink writes them in table order).
		b, err := json.Marshal(c.row)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		dec := json.NewDecoder(strings.NewReader(string(b)))
		_, _ = dec.Token()
		for dec.More() {
			k, _ := dec.Token()
			names = append(names, k.(string))
			var skip json.RawMessage
			_ = dec.Decode(&skip)
		}
		var cols []string
		for _, w := range want {
			cols = append(cols, w.Name)
		}
		if !reflect.DeepEqual(names, cols) {
			t.Errorf("%T's JSON fields %v, want the table's columns %v", c.row, names, cols)
		}
	}
}
