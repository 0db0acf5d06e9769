package redact_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"pgregory.net/rapid"

	"github.com/okpay/okpay/internal/redact"
)

type redactCase struct {
	name string
	in   string
	want string
	f    redact.Findings
}

var masked = []redactCase{
	// Card numbers.
	{"zh spaced visa", "我的卡号是 4242 4242 4242 4242，请帮我查一下", "我的卡号是 424242******4242，请帮我查一下", redact.Card},
	{"en hyphenated mastercard", "card: 5555-5555-5555-4444 expires 12/30", "card: 555555******4444 expires 12/30", redact.Card},
	{"full-width digits glued to chinese", "卡号４２４２４２４２４２４２４２４２", "卡号424242******4242", redact.Card},
	{"amex in its own grouping", "Amex 3782 822463 10005 declined", "Amex 378282*****0005 declined", redact.Card},
	{"unionpay 19 digits", "银行卡 6222 0212 3456 7890 128 转账失败", "银行卡 622202*********0128 转账失败", redact.Card},
	{"13-digit visa", "old visa 4222222222222", "old visa 422222***2222", redact.Card},
	{"plain run", "pay with 6011111111111117 please", "pay with 601111******1117 please", redact.Card},
	{"card after another number", "订单 12 4242 4242 4242 4242", "订单 12 424242******4242", redact.Card},
	{"two cards", "4242424242424242 or 5555555555554444?", "424242******4242 or 555555******4444?", redact.Card},
	{"no-break and ideographic spaces", "4242\u00a04242\u30004242 4242", "424242******4242", redact.Card},

	// Security codes.
	{"cvv2", "CVV2: 987", "CVV2: ***", redact.CVC},
	{"cvc glued", "cvc123 thanks", "cvc*** thanks", redact.CVC},
	{"security code is", "the security code is 1234.", "the security code is ****.", redact.CVC},
	{"zh 安全码", "安全码 321", "安全码 ***", redact.CVC},
	{"zh card verification code", "信用卡验证码是 456", "信用卡验证码是 ***", redact.CVC},
	{"zh back of card", "卡背面的验证码：７８９", "卡背面的验证码：***", redact.CVC},

	// Passwords.
	{"zh 密码是", "密码是abc123，谢谢", "密码是******，谢谢", redact.Password},
	{"zh 登录密码 colon", "登录密码：P@ssw0rd 请重置", "登录密码：****** 请重置", redact.Password},
	{"zh 支付密码 space", "支付密码 135790。", "支付密码 ******。", redact.Password},
	{"en my password is", "my password is hunter2.", "my password is ******.", redact.Password},
	{"en password colon", "Password: correct-horse-battery", "Password: ******", redact.Password},
	{"en pwd=", "pwd=S3cr3t; user=li", "pwd=******; user=li", redact.Password},
	{"en quoted", "password = 'letmein'", "password = '******'", redact.Password},
	{"pin", "PIN: 1234", "PIN: ******", redact.Password},

	// Identity numbers.
	{"18 with X", "身份证号11010519491231002X，请核实", "身份证号110105********002X，请核实", redact.IDNumber},
	{"18 lower-case x", "ID 11010519491231002x", "ID 110105********002X", redact.IDNumber},
	{"18 digits", "证件号码：440301199003071003", "证件号码：440301********1003", redact.IDNumber},
	{"15 old form", "旧身份证 110105491231002 还能用吗", "旧身份证 110105*****1002 还能用吗", redact.IDNumber},

	// Everything at once.
	{"all kinds", "卡号 4242 4242 4242 4242，CVV 123，密码是abc123，身份证11010519491231002X。",
		"卡号 424242******4242，CVV ***，密码是******，身份证110105********002X。",
		redact.Card | redact.CVC | redact.Password | redact.IDNumber},
}

var untouched = []string{
	// Timestamps, Luhn-valid or not.
	"交易时间 20240315123040",
	"ts=1710483045129",
	"20240315123045106 log line",
	"2024-03-15 12:30:45",
	"2024年3月15日 12:30",
	// Amounts.
	"金额 ¥1,234,567.89",
	"USD 12345.67 refunded",
	"余额 9876543.21 元",
	// Order, invoice and parcel numbers.
	"invoice INV-2024-000123452",
	"订单号 2024031512304567",
	"顺丰 SF1234567890128",
	"order #12345678",
	// 13 to 19 digits without a valid Luhn checksum.
	"4242424242424241",
	"1234567890123456789",
	"99887766554433221",
	// Too long to be a card.
	"12345678901234567890123",
	// Phone numbers.
	"+86 138 0013 8000",
	"+8613800138002",
	"手机 13800138000",
	"0086 138 0013 8000",
	// Passwords talked about, not given.
	"my password is not working",
	"I forgot my password",
	"忘记密码了怎么办",
	"密码错误，账户被锁定",
	"password reset link expired",
	"please reset my password: it was locked",
	"PIN: abcd",
	// Codes that are not card security codes.
	"我的短信验证码是 123456",
	"验证码 4321 收不到",
	"CVV 12345",
	// Identity numbers that do not check.
	"440301199003071004",
	"440301199013071003",
	// Already masked.
	"424242******4242",
	"密码是******",
	"CVV ***",
}

func TestTextMasks(t *testing.T) {
	for _, c := range masked {
		t.Run(c.name, func(t *testing.T) {
			got, f := redact.Text(c.in)
			if got != c.want || f != c.f {
				t.Errorf("Text(%q) = %q, %v; want %q, %v", c.in, got, f, c.want, c.f)
			}
		})
	}
}

func TestTextLeavesOtherNumbersAlone(t *testing.T) {
	for _, in := range untouched {
		if got, f := redact.Text(in); got != in || f != 0 {
			t.Errorf("Text(%q) = %q, %v; want it unchanged", in, got, f)
		}
	}
}

func TestTextIsIdempotent(t *testing.T) {
	inputs := append([]string(nil), untouched...)
	for _, c := range masked {
		inputs = append(inputs, c.in)
	}
	// Masking one number can bring two others together; the second
	// masking must already have happened.
	inputs = append(inputs, "4242 4242 4242 4242 4000 0566 5566 5556 1 2")
	for _, in := range inputs {
		once, _ := redact.Text(in)
		twice, f := redact.Text(once)
		if twice != once || f != 0 {
			t.Errorf("Text(Text(%q)) = %q, %v; want %q, no findings", in, twice, f, once)
		}
	}
}

func TestFindings(t *testing.T) {
	f := redact.Card | redact.Password
	if !f.Has(redact.Card) || f.Has(redact.CVC) || f.Has(redact.Card|redact.CVC) || !f.Has(redact.Card|redact.Password) {
		t.Errorf("Has is wrong for %v", f)
	}
	if got := f.String(); got != "card,password" {
		t.Errorf("String() = %q, want card,password", got)
	}
	if got := redact.Findings(0).String(); got != "" {
		t.Errorf("empty String() = %q", got)
	}
}

// cardNumber draws a Luhn-valid number of 13 to 19 digits. Numbers that
// start with 0 or 1 are left out (no card does; such runs are documented
// as not masked), and so are timestamp shapes.
func cardNumber() *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		n := rapid.IntRange(13, 19).Draw(t, "len")
		d := []byte{byte('0' + rapid.IntRange(2, 9).Draw(t, "first"))}
		for len(d) < n-1 {
			d = append(d, byte('0'+rapid.IntRange(0, 9).Draw(t, "digit")))
		}
		d = append(d, '0')
		for c := byte('0'); c <= '9'; c++ {
			d[n-1] = c
			if luhnOK(string(d)) {
				break
			}
		}
		if timestampShape(string(d)) {
			t.Skip("timestamp shape")
		}
		return string(d)
	})
}

// written formats a card number the ways people type it.
func written(t *rapid.T, card string) string {
	fw := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return '０' + (r - '0')
			}
			return r
		}, s)
	}
	switch rapid.IntRange(0, 4).Draw(t, "format") {
	case 0:
		return card
	case 1:
		return fw(card)
	case 2, 3:
		sep := rapid.SampledFrom([]string{" ", "-", "\u00a0", "\u3000", "－"}).Draw(t, "sep")
		size := 4
		var parts []string
		for rest := card; rest != ""; {
			k := min(size, len(rest))
			parts = append(parts, rest[:k])
			rest = rest[k:]
		}
		return strings.Join(parts, sep)
	default:
		// Random groups, at most six.
		var parts []string
		rest := card
		for len(parts) < 5 && len(rest) > 1 {
			k := rapid.IntRange(1, len(rest)-1).Draw(t, "group")
			parts = append(parts, rest[:k])
			rest = rest[k:]
		}
		parts = append(parts, rest)
		return fw(strings.Join(parts, " "))
	}
}

var textRunes = []rune("abcXYZ 0123456789+-.,:;#\n卡号密码你好，。：（）￥$")

func randomText() *rapid.Generator[string] {
	return rapid.StringOfN(rapid.SampledFrom(textRunes), 0, 40, -1)
}

func TestCardNeverSurvives(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		card := cardNumber().Draw(t, "card")
		before := randomText().Draw(t, "before")
		after := randomText().Draw(t, "after")
		open := rapid.SampledFrom([]string{" ", "，", "\n", "：", "（", "卡号", ": ", "(", "#"}).Draw(t, "open")
		closing := rapid.SampledFrom([]string{" ", "，", "\n", "。", "）", ".", ", "}).Draw(t, "close")
		in := before + open + written(t, card) + closing + after
		out, f := redact.Text(in)
		if strings.Contains(digitsOnly(out), card) {
			t.Fatalf("card %s survives in %q -> %q", card, in, out)
		}
		// A number that is also a valid identity number is masked as
		// one, keeping the same six and four digits.
		if !f.Has(redact.Card) && !f.Has(redact.IDNumber) {
			t.Fatalf("Text(%q) found %v, want card", in, f)
		}
		if again, _ := redact.Text(out); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, out, again)
		}
	})
}

func TestTextProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := rapid.StringOfN(rapid.SampledFrom([]rune("0123456789 -+xX密码是:卡CVV ")), 0, 80, -1).Draw(t, "in")
		checkOutput(t, in)
	})
}

func FuzzText(f *testing.F) {
	for _, c := range masked {
		f.Add(c.in)
	}
	for _, s := range untouched {
		f.Add(s)
	}
	f.Add("4242 4242 4242 4242 4000 0566 5566 5556")
	f.Fuzz(func(t *testing.T, in string) {
		checkOutput(t, in)
	})
}

type fataler interface {
	Fatalf(format string, args ...any)
}

// checkOutput checks what must hold for any input: the output keeps no
// unexempted Luhn-valid 13-19 digit run, masking again changes nothing,
// and valid UTF-8 stays valid.
func checkOutput(t fataler, in string) {
	out, _ := redact.Text(in)
	if run := leakedCard(out); run != "" {
		t.Fatalf("Text(%q) = %q keeps the card number %s", in, out, run)
	}
	if again, f := redact.Text(out); again != out || f != 0 {
		t.Fatalf("not idempotent: %q -> %q -> %q (%v)", in, out, again, f)
	}
	if utf8.ValidString(in) && !utf8.ValidString(out) {
		t.Fatalf("Text(%q) = %q is not valid UTF-8", in, out)
	}
}

// leakedCard returns a maximal run of digits in s that is a card number
// the package promises to mask, or "". It is written apart from the
// package's own scanning on purpose.
func leakedCard(s string) string {
	rs := []rune(s)
	for i := 0; i < len(rs); {
		if _, ok := digitValue(rs[i]); !ok {
			i++
			continue
		}
		j := i
		var d strings.Builder
		for j < len(rs) {
			v, ok := digitValue(rs[j])
			if !ok {
				break
			}
			d.WriteByte('0' + v)
			j++
		}
		run := d.String()
		exempt := run[0] == '0' ||
			i > 0 && (asciiLetter(rs[i-1]) || rs[i-1] == '+' || rs[i-1] == '＋') ||
			j < len(rs) && asciiLetter(rs[j]) ||
			timestampShape(run)
		if len(run) >= 13 && len(run) <= 19 && !exempt && luhnOK(run) {
			return run
		}
		i = j
	}
	return ""
}

func digitValue(r rune) (byte, bool) {
	switch {
	case r >= '0' && r <= '9':
		return byte(r - '0'), true
	case r >= '０' && r <= '９':
		return byte(r - '０'), true
	}
	return 0, false
}

func asciiLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// digitsOnly keeps the digits of s and drops the separators between them,
// so a card number is found however it was written.
func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if v, ok := digitValue(r); ok {
			b.WriteByte('0' + v)
			continue
		}
		switch r {
		case ' ', '-', '\u00a0', '\u3000', '－':
			continue
		}
		b.WriteByte('|')
	}
	return b.String()
}

func luhnOK(d string) bool {
	sum := 0
	for i := range len(d) {
		v := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}

func timestampShape(d string) bool {
	switch len(d) {
	case 13:
		return d[0] == '1'
	case 14, 17:
		t, err := time.Parse("20060102150405", d[:14])
		return err == nil && t.Year() >= 1900 && t.Year() <= 2099
	}
	return false
}
