package biz

import (
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	cases := []struct {
		kind   Kind
		data   map[string]string
		en, zh string
	}{
		{KindShareReceived, map[string]string{DataOwnerNickname: "Alice", DataName: "Trip"},
			"Alice shared “Trip” with you", "Alice 向你分享了「Trip」"},
		{KindShareReceived, map[string]string{DataName: "Trip"},
			"Someone shared “Trip” with you", "有人向你分享了「Trip」"},
		{KindShareSaved, map[string]string{DataActorNickname: "Bob", DataName: "Trip"},
			"Bob saved items from your share “Trip”", "Bob 保存了你的分享「Trip」中的内容"},
		{KindQuotaWarning, map[string]string{DataUsedBytes: "9663676416", DataLimitBytes: "10737418240"},
			"Your drive is 90% full", "你的网盘空间已使用 90%"},
		{Kind("from_the_future"), nil, "from_the_future", "from_the_future"},
	}
	for _, c := range cases {
		if got := Render(c.kind, c.data, English).Title; got != c.en {
			t.Errorf("%s en: %q, want %q", c.kind, got, c.en)
		}
		if got := Render(c.kind, c.data, Chinese).Title; got != c.zh {
			t.Errorf("%s zh: %q, want %q", c.kind, got, c.zh)
		}
	}
	body := Render(KindQuotaWarning, map[string]string{DataUsedBytes: "9663676416", DataLimitBytes: "10737418240"}, English).Body
	if !strings.Contains(body, "9 GiB of 10 GiB") {
		t.Errorf("quota body %q", body)
	}
}

func TestRenderKeepsNamesOnOneLine(t *testing.T) {
	got := Render(KindShareReceived, map[string]string{DataOwnerNickname: "A\r\nBcc: x@y", DataName: "n\u2028m"}, English).Title
	if strings.ContainsAny(got, "\r\n\u2028") {
		t.Errorf("title %q has a line break", got)
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1 KiB", 1536: "1.5 KiB",
		5 << 20: "5 MiB", 10 << 30: "10 GiB", 3 << 40: "3 TiB"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
