package biz

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Lang is a language notifications are written in.
type Lang int

// Languages.
const (
	English Lang = iota
	Chinese
)

// Text is a notification rendered for a reader.
type Text struct {
	Title string
	Body  string
}

// Render writes a notification of kind with data in lang. Notifications are
// stored as kind and data and rendered when read, so each reader gets the
// language their request asks for (Accept-Language), a wording fixed later
// reaches old notifications too, and nothing is stored twice.
func Render(kind Kind, data map[string]string, lang Lang) Text {
	zh := lang == Chinese
	get := func(k string) string { return oneLine(data[k]) }
	// who is the subject of a sentence: a nickname followed by a space in
	// Chinese too (it is often in Latin letters), or "someone".
	who := func(k string) string {
		switch s := get(k); {
		case s != "" && zh:
			return s + " "
		case s != "":
			return s
		case zh:
			return "有人"
		}
		return "Someone"
	}
	switch kind {
	case KindShareReceived:
		if zh {
			return Text{Title: fmt.Sprintf("%s向你分享了「%s」", who(DataOwnerNickname), get(DataName)),
				Body: "可在「与我共享」中查看。"}
		}
		return Text{Title: fmt.Sprintf("%s shared “%s” with you", who(DataOwnerNickname), get(DataName)),
			Body: "Find it under Shared with me."}
	case KindShareSaved:
		if zh {
			return Text{Title: fmt.Sprintf("%s保存了你的分享「%s」中的内容", who(DataActorNickname), get(DataName)),
				Body: "内容已复制到对方的网盘，你的文件不受影响。"}
		}
		return Text{Title: fmt.Sprintf("%s saved items from your share “%s”", who(DataActorNickname), get(DataName)),
			Body: "They were copied into their drive; your files are unchanged."}
	case KindQuotaWarning:
		used, _ := strconv.ParseInt(data[DataUsedBytes], 10, 64)
		limit, _ := strconv.ParseInt(data[DataLimitBytes], 10, 64)
		pct := int64(0)
		if limit > 0 {
			pct = used * 100 / limit
		}
		if zh {
			return Text{Title: fmt.Sprintf("你的网盘空间已使用 %d%%", pct),
				Body: fmt.Sprintf("已用 %s，共 %s。请清理文件或回收站，或申请更大的空间。", HumanBytes(used), HumanBytes(limit))}
		}
		return Text{Title: fmt.Sprintf("Your drive is %d%% full", pct),
			Body: fmt.Sprintf("You have used %s of %s. Free some space (empty the trash) or ask for a larger quota.",
				HumanBytes(used), HumanBytes(limit))}
	}
	return Text{Title: string(kind)}
}

// HumanBytes writes a size in binary units: 1.5 GiB.
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	s := strconv.FormatFloat(float64(n)/float64(div), 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + string("KMGTPE"[exp]) + "iB"
}

// oneLine replaces control characters (line breaks above all) by spaces, so
// that a name cannot add lines to a title or headers to an email.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}
