package helpcenter

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestQueryTerms(t *testing.T) {
	for _, c := range []struct {
		q    string
		want []QueryTerm
	}{
		{"退款", []QueryTerm{{Term: "退款"}}},
		{"卡", []QueryTerm{{Term: "卡"}}},
		{"提现到账", []QueryTerm{{Term: "提现"}, {Term: "现到"}, {Term: "到账"}}},
		{"如何重置密码", []QueryTerm{{Term: "何重"}, {Term: "重置"}, {Term: "置密"}, {Term: "密码"}}},
		{"２ＦＡ 验证码", []QueryTerm{{Term: "2fa"}, {Term: "验证"}, {Term: "证码"}}},
		{"How do I reset my Passwords?", []QueryTerm{{Term: "reset", Prefix: true}, {Term: "password", Prefix: true}}},
		{"the", []QueryTerm{{Term: "the"}}},
		{"!!! ？？", nil},
	} {
		if diff := cmp.Diff(c.want, QueryTerms(c.q)); diff != "" {
			t.Errorf("QueryTerms(%q) (-want +got):\n%s", c.q, diff)
		}
	}
}

func TestIndexTermsCoverQueries(t *testing.T) {
	terms := IndexTerms("提现流程", "提现通常在 1–3 个工作日内到账。Withdrawals **arrive** soon.")
	has := map[string]bool{}
	for _, tm := range terms {
		has[tm.Term] = true
	}
	for _, want := range []string{"提现", "提", "流程", "到账", "工作日"[0:6], "withdrawal", "arrive", "soon", "1", "3"} {
		if !has[want] {
			t.Errorf("index lacks %q", want)
		}
	}
	if has["**arrive**"] || has["工作日"] {
		t.Errorf("index holds markup or trigrams: %v", terms)
	}
}

// TestSnippetEscapesFirst: text that looks like HTML stays text; only
// the <mark> is markup.
func TestSnippetEscapesFirst(t *testing.T) {
	s := MakeSnippet(`<script>alert("退款")</script> & 退款`, QueryTerms("退款"))
	want := `&lt;script&gt;alert(&#34;<mark>退款</mark>&#34;)&lt;/script&gt; &amp; <mark>退款</mark>`
	if got := s.HTML(); got != want {
		t.Errorf("HTML() = %s, want %s", got, want)
	}
}

func TestSnippetWindow(t *testing.T) {
	body := strings.Repeat("这是无关的内容。", 40) + "如果扣款后支付失败，款项会自动退回，您也可以申请退款。" + strings.Repeat("其他说明。", 40)
	s := MakeSnippet(body, QueryTerms("退款"))
	if !strings.Contains(s.HTML(), "<mark>退款</mark>") || !strings.HasPrefix(s.String(), "…") || !strings.HasSuffix(s.String(), "…") {
		t.Errorf("snippet %q", s.HTML())
	}
	// Full-width and case are folded for marking, the original text kept.
	h := Highlight("ＯＫＰａｙ Password", QueryTerms("okpay password"))
	if got := h.HTML(); got != "<mark>ＯＫＰａｙ</mark> <mark>Password</mark>" {
		t.Errorf("Highlight = %s", got)
	}
}

// TestParseKeepsStaffTextSafe: no HTML, links only to our own pages.
func TestParseKeepsStaffTextSafe(t *testing.T) {
	got := Parse("## 标题\n第一段 **重点** 见[费用](/fees)。\n\n- 一\n- [坏](https://evil.example)\n- [也坏](//evil.example)\n\n1. 步骤\n2. <b>二</b>")
	want := []Block{
		{Kind: BlockHeading, Items: [][]Inline{{{Text: "标题"}}}},
		{Kind: BlockParagraph, Items: [][]Inline{{{Text: "第一段 "}, {Text: "重点", Strong: true}, {Text: " 见"}, {Text: "费用", Href: "/fees"}, {Text: "。"}}}},
		{Kind: BlockList, Items: [][]Inline{{{Text: "一"}}, {{Text: "[坏](https://evil.example)"}}, {{Text: "[也坏](//evil.example)"}}}},
		{Kind: BlockSteps, Items: [][]Inline{{{Text: "步骤"}}, {{Text: "<b>二</b>"}}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

func TestShippedArticlesParse(t *testing.T) {
	arts, err := ShippedArticles()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range arts {
		if seen[a.Slug] {
			t.Errorf("slug %s twice", a.Slug)
		}
		seen[a.Slug] = true
		for _, lang := range Langs {
			for _, b := range Parse(a.Texts[lang].Body) {
				for _, item := range b.Items {
					for _, in := range item {
						if strings.Contains(in.Text, "](") {
							t.Errorf("%s/%s: link not parsed: %q", a.Slug, lang, in.Text)
						}
					}
				}
			}
		}
	}
	for _, want := range []string{"reset-password", "withdrawal-process", "account-security-2fa", "payment-failed", "payment-methods", "fees", "account-locked", "contact-support", "official-site-and-emails"} {
		if !seen[want] {
			t.Errorf("no shipped article %s", want)
		}
	}
}
