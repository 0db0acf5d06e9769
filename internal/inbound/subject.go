package inbound

import (
	"regexp"
	"strconv"
	"strings"
)

var (
	// A reply or forward prefix: "Re:", "RE :", "Re[2]:", "Fwd:", "FW:",
	// "AW:", "WG:" and the Chinese "回复：", "答复:", "转发:" (and their
	// traditional forms), with an ASCII or full-width colon.
	replyPrefix = regexp.MustCompile(`^\s*(?:(?i:re|fwd?|aw|wg)\s*(?:\[\d+\]|\(\d+\))?|回复|回覆|答复|答覆|转发|轉發|轉寄)\s*[:：]\s*`)
	forwardWord = regexp.MustCompile(`^\s*(?:(?i:fwd?|wg)\s*(?:\[\d+\]|\(\d+\))?|转发|轉發|轉寄)\s*[:：]`)
	// "[#10023]", also with full-width brackets, hash or digits.
	ticketTag = regexp.MustCompile(`[\[［]\s*[#＃]\s*([0-9０-９]{1,18})\s*[\]］]`)
	leadTag   = regexp.MustCompile(`^\s*[\[［]\s*[#＃]\s*[0-9０-９]{1,18}\s*[\]］]\s*`)

	urgentEN    = regexp.MustCompile(`(?i)\burgent(ly)?\b`)
	notUrgentEN = regexp.MustCompile(`(?i)\b(non|not|less|no)[\s-]+urgent`)
)

// TicketNumber finds the ticket number the desk put in a subject as
// "[#10023]", behind any number of "Re:", "回复：", "Fwd:" prefixes or
// anywhere else in it (mail clients and gateways add their own tags in
// front). Full-width brackets, hash and digits count too. It reports
// false when there is none, or it is zero or too large.
func TicketNumber(subject string) (int64, bool) {
	m := ticketTag.FindStringSubmatch(subject)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(narrowDigits(m[1]), 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

func narrowDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return '0' + (r - '０')
		}
		return r
	}, s)
}

// CleanSubject strips reply and forward prefixes ("Re:", "RE:", "Fwd:",
// "FW:", "回复：", "答复:", "转发:"...) and ticket tags ("[#10023]") from
// the start of a subject, however many and in whatever order, and folds
// white space: the subject a ticket is filed under.
func CleanSubject(subject string) string {
	s := foldSpace(subject)
	for i := 0; i < 100; i++ {
		loc := replyPrefix.FindStringIndex(s)
		if loc == nil {
			loc = leadTag.FindStringIndex(s)
		}
		if loc == nil || loc[1] == 0 {
			break
		}
		s = s[loc[1]:]
	}
	return strings.TrimSpace(s)
}

// isForward reports a subject whose first prefix is a forward one.
func isForward(subject string) bool {
	s := leadTag.ReplaceAllString(subject, "")
	return forwardWord.MatchString(s)
}

// Urgent reports a subject that asks for urgency: "紧急" (or "緊急",
// "加急"), "urgent" or "[URGENT]" in any case, unless negated ("不紧急",
// "non-urgent", "not urgent").
func Urgent(subject string) bool {
	s := CleanSubject(subject)
	for _, w := range []string{"紧急", "緊急", "加急"} {
		for rest := s; ; {
			i := strings.Index(rest, w)
			if i < 0 {
				break
			}
			before := rest[:i]
			if !strings.HasSuffix(before, "不") && !strings.HasSuffix(before, "非") && !strings.HasSuffix(before, "不太") {
				return true
			}
			rest = rest[i+len(w):]
		}
	}
	if !urgentEN.MatchString(s) {
		return false
	}
	return len(urgentEN.FindAllString(s, -1)) > len(notUrgentEN.FindAllString(s, -1))
}
