package inbound

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

var (
	// "-----Original Message-----", "------------------ 原始邮件 ------------------",
	// Foxmail's "------------------ Original ------------------".
	originalMessage = regexp.MustCompile(`(?i)^[-_=*\s]{2,}\s*(original message|original|原始邮件|原始郵件|原邮件|邮件原文|回复的原邮件)\s*[-_=*\s]{2,}$`)
	// "On Mon, 1 Jan 2024 at 10:00, Li Lei <li@example.com> wrote:", and the
	// same in German and French.
	onWrote = regexp.MustCompile(`(?i)^(on\s.{4,}\swrote|am\s.{4,}\sschrieb\s.{0,80}|le\s.{4,}\sa\s+écrit)\s*:$`)
	// "在 2024年1月1日 10:00，李雷 <li@example.com> 写道：", "于 ... 写道:".
	zhWrote = regexp.MustCompile(`(写道|寫道|寫到|写到)\s*[：:]$`)
	// The fields of an Outlook reply header ("From: ... Sent: ... To: ...
	// Subject: ..."), in English and Chinese; a leading "*" comes from bold
	// turned into text.
	outlookFrom       = regexp.MustCompile(`(?i)^\**\s*(from|发件人|寄件者|發件人)\s*\**\s*[:：]`)
	outlookSent       = regexp.MustCompile(`(?i)^\**\s*(sent|date|发送时间|日期|寄件日期|時間|时间|發送時間)\s*\**\s*[:：]`)
	outlookTo         = regexp.MustCompile(`(?i)^\**\s*(to|subject|收件人|主题|主旨|主題|抄送|cc)\s*\**\s*[:：]`)
	outlookSentInline = regexp.MustCompile(`(?i)\s(sent|发送时间|發送時間)\s*[:：].*\s(to|收件人)\s*[:：]`)
	underscores       = regexp.MustCompile(`^_{10,}$`)
	// A forwarded message's header block is content, not history.
	forwarded = regexp.MustCompile(`(?i)^[-\s]*(forwarded message|begin forwarded message|转发邮件信息|转发的邮件|轉寄郵件|下面是被转发的邮件)\s*[:：]?[-\s]*$`)
	// Sign-offs mobile clients add below the text.
	sentFrom = regexp.MustCompile(`(?i)^(sent from my .{1,40}|sent from .{1,30} for (ios|android|iphone)|get outlook for .{1,20}|发自我的.{1,20}|从我的.{1,20}发送|来自.{1,20}(邮箱|客户端)|發自我的.{1,20})$`)
)

// newText returns the new part of a reply: everything from the first
// marker of quoted history on is cut, remaining "> " lines are dropped, and
// a trailing signature ("-- ") and mobile sign-off removed. When that
// leaves nothing, it returns text itself.
func newText(text string) string {
	lines := strings.Split(text, "\n")
	for i := range lines {
		if replyHeaderAt(lines, i) {
			lines = lines[:i]
			break
		}
	}
	kept := lines[:0:0]
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimLeft(l, " \t"), ">") {
			continue
		}
		kept = append(kept, l)
	}
	for i := len(kept) - 1; i >= 0; i-- {
		if strings.TrimRight(kept[i], " \t") == "--" {
			kept = kept[:i]
			break
		}
	}
	for len(kept) > 0 {
		last := strings.TrimSpace(kept[len(kept)-1])
		if last != "" && !sentFrom.MatchString(last) {
			break
		}
		kept = kept[:len(kept)-1]
	}
	out := trimBlankLines(strings.Join(kept, "\n"))
	if strings.TrimSpace(out) == "" {
		return text
	}
	return out
}

// replyHeaderAt reports whether lines[i] starts the quoted history of a
// reply.
func replyHeaderAt(lines []string, i int) bool {
	l := normLine(lines[i])
	if l == "" || utf8.RuneCountInString(l) > 300 {
		return false
	}
	if originalMessage.MatchString(l) {
		return true
	}
	// The attribution line may be wrapped in two.
	next := ""
	if i+1 < len(lines) {
		next = normLine(lines[i+1])
	}
	// An attribution names a date or an address; "he wrote:" in the
	// customer's own words does not.
	if (onWrote.MatchString(l) || zhWrote.MatchString(l)) && attribution(l) {
		return true
	}
	if next != "" && utf8.RuneCountInString(l+next) < 300 {
		joined := l + " " + next
		if ((strings.HasPrefix(strings.ToLower(l), "on ") && onWrote.MatchString(joined)) ||
			((strings.HasPrefix(l, "在") || strings.HasPrefix(l, "于")) && zhWrote.MatchString(joined))) && attribution(joined) {
			return true
		}
	}
	if underscores.MatchString(l) {
		for j := i + 1; j < len(lines) && j <= i+2; j++ {
			if outlookFrom.MatchString(normLine(lines[j])) {
				return true
			}
		}
	}
	if outlookFrom.MatchString(l) && outlookSentInline.MatchString(l) {
		// The whole block on one line.
		return true
	}
	if outlookFrom.MatchString(l) {
		for j := i - 1; j >= 0 && j >= i-2; j-- {
			if forwarded.MatchString(normLine(lines[j])) {
				return false
			}
		}
		sent, to := false, false
		for j := i + 1; j < len(lines) && j <= i+6; j++ {
			n := normLine(lines[j])
			sent = sent || outlookSent.MatchString(n)
			to = to || outlookTo.MatchString(n)
		}
		return sent && to
	}
	return false
}

func attribution(l string) bool {
	return strings.ContainsAny(l, "0123456789@")
}

func normLine(l string) string {
	return strings.TrimSpace(strings.ReplaceAll(l, "\u00a0", " "))
}
