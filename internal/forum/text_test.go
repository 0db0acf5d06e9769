package forum_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/forum"
)

func TestTerms(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"申请退款", []string{"申", "申请", "请", "请退", "退", "退款", "款"}},
		{"OKPay 提现 Fees!", []string{"okp*", "okpa*", "okpay*", "提", "提现", "现", "fee*", "fees*"}},
		{"ＡＢＣ１２ abc12 2fa ok", []string{"abc*", "abc1*", "abc12*", "2fa*", "ok"}},
		{"internationalisations", []string{"int*", "inte*", "inter*", "intern*", "interna*", "internat*", "internati*", "internatio*",
			"internation*", "internationa*", "international*", "internationali*", "internationalis*", "internationalisa*"}},
		{"", nil},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, forum.Terms(c.in)); diff != "" {
			t.Errorf("Terms(%q) (-want +got):\n%s", c.in, diff)
		}
	}
}

func TestQueryTerms(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"退款", []string{"退款"}},
		{"退款到账", []string{"退款", "到账"}},
		{"退款到账了", []string{"退款", "到账", "账了"}},
		{"卡", []string{"卡"}},
		{"Withdrawal fee", []string{"withdrawal*", "fee*"}},
		{"a 2fa", []string{"a", "2fa*"}},
		{"internationalisations", []string{"internationalisa*"}},
		{"！？", nil},
		{"a b c d e f g h i j", []string{"a", "b", "c", "d", "e", "f", "g", "h"}},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, forum.QueryTerms(c.in)); diff != "" {
			t.Errorf("QueryTerms(%q) (-want +got):\n%s", c.in, diff)
		}
	}
}

func TestParagraphs(t *testing.T) {
	got := forum.Paragraphs("第一段\n第二行 https://okpay.test/help?q=1.\n\n\n<b>x</b> javascript:alert(1) http://user:pw@evil.test/ http://ok.test/a\"b")
	want := []forum.Paragraph{
		{Lines: [][]forum.Segment{
			{{Text: "第一段"}},
			{{Text: "第二行 "}, {Text: "https://okpay.test/help?q=1", URL: "https://okpay.test/help?q=1"}, {Text: "."}},
		}},
		{Lines: [][]forum.Segment{
			{{Text: "<b>x</b> javascript:alert(1) http://user:pw@evil.test/"}, {Text: " "}, {Text: "http://ok.test/a", URL: "http://ok.test/a"}, {Text: "\"b"}},
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Paragraphs (-want +got):\n%s", diff)
	}
}
