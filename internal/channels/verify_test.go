package channels

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestDecodePunycode(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"kpay-45d", "оkpay"}, // Cyrillic о
		{"okpy-73d", "okpаy"}, // Cyrillic а
		{"mnchen-3ya", "münchen"},
		{"bcher-kva", "bücher"},
		{"80atljq", "окрау"},
		{"ihqwcrb4cv8a8dqg056pqjye", "他们为什么不说中文"}, // RFC 3492 7.1 (B)
	} {
		got, err := decodePunycode(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("decodePunycode(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"-", "abc-!!", "99999999999", "a-é", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"} {
		if got, err := decodePunycode(bad); err == nil {
			t.Errorf("decodePunycode(%q) = %q, want an error", bad, got)
		}
	}
}

func codes(r Result) []string {
	var cs []string
	for _, x := range r.Reasons {
		cs = append(cs, x.Code)
	}
	return cs
}

func TestCheck(t *testing.T) {
	d := Default(nil)
	for _, tt := range []struct {
		in      string
		kind    InputKind
		verdict Verdict
		reasons []string
		detail  string // a Detail one of the reasons must hold
		channel string
	}{
		// Official.
		{"okpay.test", InputDomain, Official, nil, "", ""},
		{"WWW.OKPAY.TEST.", InputDomain, Official, nil, "", ""},
		{"https://okpay.test/support", InputURL, Official, nil, "", ""},
		{"okpay.test/login", InputURL, Official, nil, "", ""},
		{"support@okpay.test", InputEmail, Official, nil, "", "email"},
		{"OKPay 客服 <Complaints@OKPAY.test>", InputEmail, Official, nil, "", "complaints"},
		{"no-reply@okpay.test", InputEmail, Official, []string{ReasonSender}, "no-reply@okpay.test", ""},
		{"+86 400 000 1234", InputPhone, Official, nil, "", "phone-zh"},
		{"400-000-1234", InputPhone, Official, nil, "", "phone-zh"},
		{"(021) 5555 0100", InputPhone, Official, nil, "", "phone-en"},
		// Official domain, but not as we publish it.
		{"boss@okpay.test", InputEmail, Caution, []string{ReasonUnlisted}, "boss@okpay.test", ""},
		{"http://okpay.test/login", InputURL, Caution, []string{ReasonHTTP}, "", ""},
		// Look-alikes.
		{"0kpay.com", InputDomain, Suspicious, []string{ReasonLookalike, ReasonWrongTLD}, "0kpay → okpay", ""},
		{"0kpay.test", InputDomain, Suspicious, []string{ReasonLookalike}, "0kpay → okpay", ""},
		{"okpay-support.com", InputDomain, Suspicious, []string{ReasonExtraWords, ReasonWrongTLD}, "okpay-support", ""},
		{"okpay.com", InputDomain, Suspicious, []string{ReasonWrongTLD}, ".com", ""},
		{"okpay.com.cn", InputDomain, Suspicious, []string{ReasonWrongTLD}, ".com.cn", ""},
		{"okpay.secure-login.com", InputDomain, Suspicious, []string{ReasonSubdomain}, "secure-login.com", ""},
		{"okpay.test.evil.example", InputDomain, Suspicious, []string{ReasonSubdomain}, "evil.example", ""},
		{"xn--kpay-45d.test", InputDomain, Suspicious, []string{ReasonPunycode, ReasonConfusable, ReasonLookalike}, "оkpay.test", ""},
		{"оkpay.test", InputDomain, Suspicious, []string{ReasonConfusable, ReasonLookalike}, "о (U+043E Cyrillic) → o", ""},
		{"okpаy.test", InputDomain, Suspicious, []string{ReasonConfusable, ReasonLookalike}, "а (U+0430 Cyrillic) → a", ""},
		{"xn--zz-9999999999.test", InputDomain, Suspicious, []string{ReasonPunycodeInvalid}, "", ""},
		{"okpya.test", InputDomain, Suspicious, []string{ReasonTypo}, "okpya ≈ okpay", ""},
		{"okpay.test-login.com", InputDomain, Suspicious, []string{ReasonSubdomain}, "test-login.com", ""},
		{"myokpay.net", InputDomain, Suspicious, []string{ReasonExtraWords, ReasonWrongTLD}, "myokpay", ""},
		{"ɡkpay.test", InputDomain, Suspicious, []string{ReasonConfusable, ReasonTypo}, "ɡ (U+0261 Latin) → g", ""},
		{"окрау.test", InputDomain, Suspicious, []string{ReasonConfusable, ReasonLookalike}, "окрау → okpay", ""},
		{"支付.cn", InputDomain, Unknown, []string{ReasonInternational}, "支付.cn", ""},
		{"https://okpay.test@evil.example/login", InputURL, Suspicious, []string{ReasonAtInURL}, "evil.example", ""},
		{"http://0kpay.com/login", InputURL, Suspicious, []string{ReasonHTTP, ReasonLookalike, ReasonWrongTLD}, "", ""},
		{"https://okpay.test.secure-login.com/verify", InputURL, Suspicious, []string{ReasonSubdomain}, "secure-login.com", ""},
		{"https://203.0.113.7/okpay", InputURL, Suspicious, []string{ReasonIPHost}, "", ""},
		{"javascript:alert(1)", InputURL, Suspicious, []string{ReasonScheme}, "javascript", ""},
		{"service@okpay-support.com", InputEmail, Suspicious, []string{ReasonExtraWords, ReasonWrongTLD}, "", ""},
		{"support@0kpay.test", InputEmail, Suspicious, []string{ReasonLookalike}, "", ""},
		// Not ours, nothing imitated.
		{"example.org", InputDomain, Unknown, nil, "", ""},
		{"xn--mnchen-3ya.de", InputDomain, Unknown, []string{ReasonPunycode, ReasonInternational}, "münchen.de", ""},
		{"+86 400 000 1235", InputPhone, Suspicious, []string{ReasonSimilarNumber}, "+86 400 000 1234", ""},
		{"+1 202 555 0199", InputPhone, Unknown, []string{ReasonUnknownNumber}, "", ""},
	} {
		t.Run(tt.in, func(t *testing.T) {
			r, err := d.Check(tt.in)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if r.Kind != tt.kind || r.Verdict != tt.verdict {
				t.Errorf("kind, verdict = %s, %s; want %s, %s (reasons %+v)", r.Kind, r.Verdict, tt.kind, tt.verdict, r.Reasons)
			}
			for _, c := range tt.reasons {
				if !r.Has(c) {
					t.Errorf("reasons %v lack %s", codes(r), c)
				}
			}
			if tt.reasons == nil && len(r.Reasons) > 0 {
				t.Errorf("reasons = %+v, want none", r.Reasons)
			}
			if tt.detail != "" && !strings.Contains(fmt.Sprint(r.Reasons), tt.detail) {
				t.Errorf("no reason says %q: %+v", tt.detail, r.Reasons)
			}
			if tt.channel != "" && (!r.HasChannel || r.Channel.ID != tt.channel) {
				t.Errorf("channel = %q (%v), want %q", r.Channel.ID, r.HasChannel, tt.channel)
			}
		})
	}
}

func TestCheckRefuses(t *testing.T) {
	d := Default(nil)
	for in, want := range map[string]error{
		"":                       ErrEmpty,
		"   ":                    ErrEmpty,
		strings.Repeat("a", 600): ErrTooLong,
		"hello":                  ErrFormat,
		"not a domain.com":       ErrFormat,
		"@okpay.test":            ErrFormat,
		"a\x00b.com":             ErrFormat,
		"https:///nohost":        ErrFormat,
		"%zz/.com":               ErrFormat,
		"\xff\xfe":               ErrFormat,
	} {
		if _, err := d.Check(in); !errors.Is(err, want) {
			t.Errorf("Check(%q) = %v, want %v", in, err, want)
		}
	}
}

func TestWithDeploymentAddresses(t *testing.T) {
	d := Default(nil).With([]string{"pay.example.com"}, []string{"OKPay@Pay.Example.com"})
	r, err := d.Check("okpay@pay.example.com")
	if err != nil || r.Verdict != Official || !r.Has(ReasonSender) {
		t.Errorf("deployment sender = %+v, %v", r, err)
	}
	if r, _ := Default(nil).Check("pay.example.com"); r.Verdict == Official {
		t.Errorf("the default directory must not know the deployment's domain")
	}
}

func TestParseRefusesUnknownHours(t *testing.T) {
	in := `{"domains":["okpay.test"],"channels":[{"id":"x","kind":"phone","value":"+86 1","hours":"night"},{"id":"x","kind":"fax","value":"1","hours":"business"}]}`
	_, err := Parse(strings.NewReader(in), nil)
	if !errors.Is(err, ErrSpec) {
		t.Fatalf("Parse = %v, want ErrSpec", err)
	}
	for _, want := range []string{`hours "night"`, `kind "fax"`, `repeated`, `not a phone number`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v does not say %s", err, want)
		}
	}
}

// TestCheckNeverFails: whatever is pasted, Check answers with a verdict
// or one of its three errors, and never calls a value with look-alike
// reasons official.
func TestCheckNeverFails(t *testing.T) {
	d := Default(nil)
	pieces := []string{"okpay", "0kpay", "оkpay", "xn--", "kpay-45d", ".", "..", "test", "com", "@", "://", "https", "http", "/", "-", "+86 ", "400",
		"000", "1234", "[::1]", "%zz", "\\", " ", "é", "支付", "rn", "1", "l", "javascript:", "?", "#", ":8080"}
	rapid.Check(t, func(t *rapid.T) {
		var b strings.Builder
		for _, i := range rapid.SliceOfN(rapid.IntRange(0, len(pieces)-1), 0, 12).Draw(t, "pieces") {
			b.WriteString(pieces[i])
		}
		if rapid.Bool().Draw(t, "raw") {
			b.WriteString(rapid.String().Draw(t, "raw text"))
		}
		r, err := d.Check(b.String())
		if err != nil {
			if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrTooLong) && !errors.Is(err, ErrFormat) {
				t.Fatalf("Check(%q) = %v", b.String(), err)
			}
			return
		}
		switch r.Verdict {
		case Official, Caution, Suspicious, Unknown:
		default:
			t.Fatalf("Check(%q): verdict %q", b.String(), r.Verdict)
		}
		if r.Verdict == Official {
			for _, c := range suspiciousReasons {
				if r.Has(c) {
					t.Fatalf("Check(%q) is official with reason %s", b.String(), c)
				}
			}
		}
	})
}
