package inbound_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"github.com/okpay/okpay/internal/inbound"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestParseGBK(t *testing.T) {
	gbk := simplifiedchinese.GBK
	subject := "提现失败，请帮忙查一下"
	body := "您好：\n我昨天申请的提现一直没有到账，订单号 20240315001。\n谢谢！"

	t.Run("encoded words and body", func(t *testing.T) {
		m := mustParse(t, raw(
			"From: =?GBK?B?"+b64(encode(t, gbk, "王小明"))+"?= <xiaoming@example.com>",
			"To: support@okpay.example",
			"Subject: =?GBK?B?"+b64(encode(t, gbk, subject))+"?=",
			"Content-Type: text/plain; charset=GBK",
			"Content-Transfer-Encoding: base64",
			"",
			b64(encode(t, gbk, strings.ReplaceAll(body, "\n", "\r\n"))),
		))
		if m.Subject != subject || m.From != (inbound.Address{Name: "王小明", Address: "xiaoming@example.com"}) {
			t.Errorf("Subject %q From %+v", m.Subject, m.From)
		}
		if m.Text != body || m.Charset != "gb18030" {
			t.Errorf("Text = %q (%s), want %q", m.Text, m.Charset, body)
		}
	})

	t.Run("raw 8-bit headers in the declared charset", func(t *testing.T) {
		// Foxmail and old webmail send GB2312 headers without encoded
		// words; the part's charset says what they are.
		m := mustParse(t, raw(
			"From: "+encode(t, gbk, "客户 李雷")+" <lilei@example.cn>",
			"Subject: "+encode(t, gbk, "回复：[#10023] "+subject),
			"Content-Type: text/plain; charset=gb2312",
			"Content-Transfer-Encoding: 8bit",
			"",
			encode(t, gbk, body),
		))
		if m.Subject != "回复：[#10023] "+subject || m.From.Name != "客户 李雷" {
			t.Errorf("Subject %q From %+v", m.Subject, m.From)
		}
		if n, ok := inbound.TicketNumber(m.Subject); !ok || n != 10023 {
			t.Errorf("TicketNumber = %d, %v", n, ok)
		}
		if m.Text != body {
			t.Errorf("Text = %q", m.Text)
		}
	})

	t.Run("quoted-printable GB18030 with a four-byte character", func(t *testing.T) {
		text := "€100 已到账 𠀀"
		enc := encode(t, simplifiedchinese.GB18030, text)
		var qp strings.Builder
		for _, c := range []byte(enc) {
			if c >= 0x80 || c == '=' {
				qp.WriteString("=" + strings.ToUpper(hex2(c)))
			} else {
				qp.WriteByte(c)
			}
		}
		m := mustParse(t, raw(
			"Subject: =?gb18030?Q?"+strings.ReplaceAll(qp.String(), " ", "_")+"?=",
			"Content-Type: text/plain; charset=\"GB18030\"",
			"Content-Transfer-Encoding: quoted-printable",
			"",
			qp.String(),
		))
		if m.Subject != text || m.Text != text {
			t.Errorf("Subject %q Text %q, want %q", m.Subject, m.Text, text)
		}
	})

	t.Run("Big5", func(t *testing.T) {
		m := mustParse(t, raw(
			"Subject: =?big5?B?"+b64(encode(t, traditionalchinese.Big5, "緊急：帳戶被鎖"))+"?=",
			"Content-Type: text/plain; charset=big5",
			"",
			encode(t, traditionalchinese.Big5, "請幫我解鎖帳戶"),
		))
		if m.Subject != "緊急：帳戶被鎖" || m.Text != "請幫我解鎖帳戶" || !inbound.Urgent(m.Subject) {
			t.Errorf("Subject %q Text %q", m.Subject, m.Text)
		}
	})

	t.Run("declared GBK but UTF-8", func(t *testing.T) {
		m := mustParse(t, raw(
			"Subject: test",
			"Content-Type: text/plain; charset=gbk",
			"",
			body,
		))
		if m.Text != body || m.Charset != "utf-8" {
			t.Errorf("Text = %q (%s), want %q", m.Text, m.Charset, body)
		}
	})

	t.Run("no charset, GBK bytes", func(t *testing.T) {
		m := mustParse(t, raw(
			"Subject: "+encode(t, gbk, subject),
			"",
			encode(t, gbk, body),
		))
		if m.Subject != subject || m.Text != body || m.Charset != "gb18030" {
			t.Errorf("Subject %q Text %q (%s)", m.Subject, m.Text, m.Charset)
		}
	})

	t.Run("encoded word split inside a character", func(t *testing.T) {
		// Two B words whose bytes split one UTF-8 character.
		b := []byte("账户")
		m := mustParse(t, raw("Subject: =?UTF-8?B?"+base64.StdEncoding.EncodeToString(b[:4])+"?=\r\n =?UTF-8?B?"+base64.StdEncoding.EncodeToString(b[4:])+"?=", "", "x"))
		if m.Subject != "账户" {
			t.Errorf("Subject = %q", m.Subject)
		}
	})
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}

func TestParseThreading(t *testing.T) {
	m := mustParse(t, raw(
		"From: Li Lei <lilei@example.com>",
		"To: OKPay 客服 <support@okpay.example>",
		"Cc: wang@example.com, \"Han, Meimei\" <han@example.com>",
		"Reply-To: lilei+reply@example.com",
		"Message-ID: <CAB1234@mail.example.com>",
		"In-Reply-To: <ticket-10023-3@okpay.example> (Support's message of Friday)",
		"References: <ticket-10023-1@okpay.example>",
		"\t<ticket-10023-2@okpay.example>   <ticket-10023-3@okpay.example>",
		"Date: Fri, 15 Mar 2024 10:30:00 +0800",
		"Delivered-To: support@okpay.example",
		"Return-Path: <lilei@example.com>",
		"Authentication-Results: mx.okpay.example; spf=pass smtp.mailfrom=example.com;",
		"  dkim=pass header.d=example.com",
		"Authentication-Results: evil.example; dkim=pass",
		"Subject: Re: [#10023] withdrawal",
		"",
		"Thanks.",
	))
	want := &inbound.Message{
		MessageID:   "CAB1234@mail.example.com",
		InReplyTo:   []string{"ticket-10023-3@okpay.example"},
		References:  []string{"ticket-10023-1@okpay.example", "ticket-10023-2@okpay.example", "ticket-10023-3@okpay.example"},
		From:        inbound.Address{Name: "Li Lei", Address: "lilei@example.com"},
		ReplyTo:     []inbound.Address{{Address: "lilei+reply@example.com"}},
		To:          []inbound.Address{{Name: "OKPay 客服", Address: "support@okpay.example"}},
		Cc:          []inbound.Address{{Address: "wang@example.com"}, {Name: "Han, Meimei", Address: "han@example.com"}},
		DeliveredTo: []string{"support@okpay.example"},
		ReturnPath:  "lilei@example.com",
		Date:        time.Date(2024, 3, 15, 2, 30, 0, 0, time.UTC),
		Subject:     "Re: [#10023] withdrawal",
		AuthenticationResults: []string{
			"mx.okpay.example; spf=pass smtp.mailfrom=example.com;  dkim=pass header.d=example.com",
			"evil.example; dkim=pass",
		},
		Text: "Thanks.", NewText: "Thanks.", Charset: "utf-8",
	}
	opts := []cmp.Option{
		cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
		cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Header" }, cmp.Ignore()),
	}
	if diff := cmp.Diff(want, m, opts...); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
	if got := m.ThreadIDs(); !cmp.Equal(got, []string{"ticket-10023-3@okpay.example", "ticket-10023-2@okpay.example", "ticket-10023-1@okpay.example"}) {
		t.Errorf("ThreadIDs = %q", got)
	}
	if got := m.Header.Get("x-missing"); got != "" {
		t.Errorf("Header.Get(missing) = %q", got)
	}
	if got := m.Header.Values("authentication-results"); len(got) != 2 {
		t.Errorf("Header.Values = %q", got)
	}
}

func TestNewText(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string
	}{
		{"gmail english", "Yes, the withdrawal is still missing.\n\nOn Fri, Mar 15, 2024 at 10:00 AM OKPay Support <\nsupport@okpay.example> wrote:\n\n> Could you tell us the amount?\n> Thanks", "Yes, the withdrawal is still missing."},
		{"one-line on wrote", "It worked, thank you!\n\nOn 2024-03-15 10:00, support@okpay.example wrote:\n> Please try again.", "It worked, thank you!"},
		{"163 chinese", "已经收到了，谢谢！\n\n在 2024-03-15 10:00:00，\"OKPay客服\" <support@okpay.example> 写道：\n>您好，请提供订单号。", "已经收到了，谢谢！"},
		{"apple mail chinese", "好的\n\n2024年3月15日 上午10:00，OKPay客服 <support@okpay.example> 写道：\n\n> 您好", "好的"},
		{"qq mail", "订单号是 20240315001\n\n\n------------------ 原始邮件 ------------------\n发件人: \"OKPay客服\"<support@okpay.example>;\n发送时间: 2024年3月15日(星期五) 上午10:00\n收件人: \"我\"<me@qq.com>;\n主题: 回复：提现失败\n\n您好，请提供订单号。", "订单号是 20240315001"},
		{"outlook original message", "Please close the ticket.\n\n-----Original Message-----\nFrom: OKPay Support\nSent: Friday, March 15, 2024 10:00 AM\nTo: Li Lei\nSubject: RE: refund\n\nIs it resolved?", "Please close the ticket."},
		{"outlook header block", "See attached.\n\n________________________________\nFrom: OKPay Support <support@okpay.example>\nSent: Friday, March 15, 2024 10:00\nTo: Li Lei <lilei@example.com>\nSubject: refund\n\nPlease send a screenshot.", "See attached."},
		{"outlook chinese header block", "附件是截图。\n\n发件人: OKPay客服 <support@okpay.example>\n发送时间: 2024年3月15日 10:00\n收件人: 李雷\n主题: 退款\n\n请发送截图。", "附件是截图。"},
		{"inline answers", "> What is the amount?\n100 USD\n> And the date?\nYesterday", "100 USD\nYesterday"},
		{"signature", "Please help.\n\n-- \nLi Lei\nACME Ltd.", "Please help."},
		{"mobile sign-off", "账户被锁了，怎么办？\n\n发自我的iPhone", "账户被锁了，怎么办？"},
		{"english mobile sign-off", "Locked out again.\n\nSent from my iPhone", "Locked out again."},
		{"nothing new keeps the text", "> only a quote\n> nothing else", "> only a quote\n> nothing else"},
		{"forwarded block is content", "FYI\n\n---------- Forwarded message ---------\nFrom: Bank <noreply@bank.example>\nDate: Fri, Mar 15, 2024\nSubject: Transfer\nTo: me@example.com\n\nYour transfer failed.", "FYI\n\n---------- Forwarded message ---------\nFrom: Bank <noreply@bank.example>\nDate: Fri, Mar 15, 2024\nSubject: Transfer\nTo: me@example.com\n\nYour transfer failed."},
		{"outlook block on one line", "Done.\n\nFrom: OKPay Support Sent: Friday, March 15, 2024 10:00 To: Li Lei Subject: refund\nIs it resolved?", "Done."},
		{"wrote in ordinary text", "我朋友在信里写道：\n这家公司不错。", "我朋友在信里写道：\n这家公司不错。"},
		{"from line in ordinary text", "From: my phone I cannot log in.\nPlease help.", "From: my phone I cannot log in.\nPlease help."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustParse(t, raw("Subject: Re: x", "Content-Type: text/plain; charset=utf-8", "", strings.ReplaceAll(tc.text, "\n", "\r\n")))
			if m.NewText != tc.want {
				t.Errorf("NewText = %q, want %q", m.NewText, tc.want)
			}
		})
	}
}

func TestNewTextOfForward(t *testing.T) {
	text := "Please look at this.\n\n-----Original Message-----\nFrom: Bank\nSent: today\nTo: me\nSubject: failed\n\nYour payment failed."
	m := mustParse(t, raw("Subject: FW: failed payment", "", strings.ReplaceAll(text, "\n", "\r\n")))
	if m.NewText != text {
		t.Errorf("NewText of a forward = %q, want all of it", m.NewText)
	}
}

func TestHTMLOnly(t *testing.T) {
	m := mustParse(t, raw(
		"Subject: Re: 提现",
		"Content-Type: text/html; charset=utf-8",
		"",
		`<html><head><title>x</title><style>p{color:red}</style><script>alert(1)</script></head>`,
		`<body><div>钱还没到&nbsp;账&amp;请查一下<br>订单 <b>20240315001</b></div>`,
		`<ul><li>金额：100</li><li>日期：昨天</li></ul>`,
		`<div class="gmail_quote">On Fri, Mar 15, 2024 at 10:00 AM OKPay &lt;support@okpay.example&gt; wrote:<br>`,
		`<blockquote>您好，<p>请提供订单号。</p></blockquote></div></body></html>`,
	))
	wantText := "钱还没到 账&请查一下\n订单 20240315001\n- 金额：100\n- 日期：昨天\nOn Fri, Mar 15, 2024 at 10:00 AM OKPay <support@okpay.example> wrote:\n> 您好，\n> 请提供订单号。"
	if m.Text != wantText {
		t.Errorf("Text = %q\nwant   %q", m.Text, wantText)
	}
	if m.NewText != "钱还没到 账&请查一下\n订单 20240315001\n- 金额：100\n- 日期：昨天" {
		t.Errorf("NewText = %q", m.NewText)
	}
	if !strings.Contains(m.HTML, "<blockquote>") {
		t.Errorf("HTML = %q, want the HTML as sent", m.HTML)
	}
}

func TestAlternativeWithInlineImage(t *testing.T) {
	// A rich-text reply with a pasted screenshot: the text comes from the
	// plain alternative, the screenshot from the HTML one.
	m := mustParse(t, raw(
		"Subject: screenshot",
		"Content-Type: multipart/alternative; boundary=alt",
		"",
		"--alt",
		"Content-Type: text/plain; charset=utf-8",
		"",
		"See the screenshot [image: error.png]",
		"--alt",
		"Content-Type: multipart/related; boundary=rel",
		"",
		"--rel",
		"Content-Type: text/html; charset=utf-8",
		"",
		`<p>See the screenshot <img src="cid:img1@x"></p>`,
		"--rel",
		"Content-Type: image/png; name=error.png",
		"Content-Transfer-Encoding: base64",
		"Content-ID: <img1@x>",
		"Content-Disposition: inline; filename=error.png",
		"",
		"iVBORw0KGgo=",
		"--rel--",
		"--alt--",
	))
	if m.Text != "See the screenshot [image: error.png]" || !strings.Contains(m.HTML, "cid:img1@x") {
		t.Errorf("Text %q HTML %q", m.Text, m.HTML)
	}
	want := []inbound.Attachment{{Filename: "error.png", ContentType: "image/png", ContentID: "img1@x", Inline: true, Size: 8, Data: []byte("\x89PNG\r\n\x1a\n")}}
	if diff := cmp.Diff(want, m.Attachments); diff != "" {
		t.Errorf("attachments (-want +got):\n%s", diff)
	}
}

func TestAttachmentNames(t *testing.T) {
	gbk := simplifiedchinese.GBK
	pct := func(b string) string {
		var s strings.Builder
		for _, c := range []byte(b) {
			s.WriteString("%" + strings.ToUpper(hex2(c)))
		}
		return s.String()
	}
	tests := []struct {
		name    string
		headers []string
		want    string
	}{
		{"RFC 2231 UTF-8", []string{"Content-Type: application/pdf", "Content-Disposition: attachment; filename*=UTF-8''" + pct("对账单.pdf")}, "对账单.pdf"},
		{"RFC 2231 GBK with language", []string{"Content-Type: image/jpeg", "Content-Disposition: attachment; filename*=gbk'zh-cn'" + pct(encode(t, gbk, "转账凭证")) + ".jpg"}, "转账凭证.jpg"},
		{"RFC 2231 continuations", []string{"Content-Type: application/pdf", "Content-Disposition: attachment;", "\tfilename*0*=UTF-8''" + pct("二〇二四年"), "\tfilename*1*=" + pct("三月账单"), "\tfilename*2=.pdf"}, "二〇二四年三月账单.pdf"},
		{"RFC 2047 in name", []string{"Content-Type: image/png; name=\"=?UTF-8?B?" + b64("截图.png") + "?=\"", "Content-Disposition: attachment"}, "截图.png"},
		{"RFC 2047 GB2312 in filename", []string{"Content-Type: application/octet-stream", "Content-Disposition: attachment; filename=\"=?GB2312?B?" + b64(encode(t, gbk, "身份证.jpg")) + "?=\""}, "身份证.jpg"},
		{"raw GBK bytes", []string{"Content-Type: text/plain; charset=gbk; name=\"" + encode(t, gbk, "说明.txt") + "\""}, "说明.txt"},
		{"raw UTF-8 bytes", []string{"Content-Type: application/pdf", "Content-Disposition: attachment; filename=\"发票.pdf\""}, "发票.pdf"},
		{"directories removed", []string{"Content-Type: application/pdf", "Content-Disposition: attachment; filename=\"../../etc/passwd\""}, "passwd"},
		{"windows directories removed", []string{"Content-Type: application/pdf", "Content-Disposition: attachment; filename=\"C:\\Users\\li\\bill.pdf\""}, "bill.pdf"},
		{"no name", []string{"Content-Type: image/jpeg", "Content-Disposition: attachment"}, "attachment.jpg"},
		{"disposition wins over name", []string{"Content-Type: text/plain; name=a.txt", "Content-Disposition: attachment; filename=b.txt"}, "b.txt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := []string{"Subject: files", "Content-Type: multipart/mixed; boundary=\"b1\"", "", "--b1", "Content-Type: text/plain", "", "see attached", "--b1"}
			lines = append(lines, tc.headers...)
			lines = append(lines, "", "data", "--b1--", "")
			m := mustParse(t, raw(lines...))
			if len(m.Attachments) != 1 || m.Attachments[0].Filename != tc.want {
				t.Fatalf("attachments %q, want [%q]", names(m.Attachments), tc.want)
			}
			if m.Text != "see attached" {
				t.Errorf("Text = %q", m.Text)
			}
		})
	}
}

func TestAutoReply(t *testing.T) {
	tests := []struct {
		header string
		reason string
	}{
		{"Auto-Submitted: auto-replied", "Auto-Submitted: auto-replied"},
		{"Auto-Submitted: auto-generated (vacation)", "Auto-Submitted: auto-generated"},
		{"Auto-Submitted: no", ""},
		{"X-Autoreply: yes", "X-Autoreply"},
		{"X-Autorespond: vacation", "X-Autorespond"},
		{"Precedence: bulk", "Precedence: bulk"},
		{"Precedence: list", "Precedence: list"},
		{"Precedence: first-class", ""},
		{"List-Id: <announce.lists.example.com>", "List-Id"},
		{"List-Unsubscribe: <mailto:unsub@example.com>", "List-Unsubscribe"},
		{"Return-Path: <>", "Return-Path: <>"},
		{"X-Mailer: Foxmail", ""},
	}
	for _, tc := range tests {
		m := mustParse(t, raw("From: a@example.com", tc.header, "Subject: hello", "", "body"))
		if m.AutoReply != (tc.reason != "") || m.AutoReplyReason != tc.reason || m.Automated() != m.AutoReply {
			t.Errorf("%s: AutoReply %v %q, want %q", tc.header, m.AutoReply, m.AutoReplyReason, tc.reason)
		}
	}
	for _, subject := range []string{"Automatic reply: 提现失败", "自动回复：您的邮件已收到", "Out of Office: back Monday", "Auto-Reply: thanks"} {
		m := mustParse(t, raw("From: a@example.com", "Subject: "+subject, "", "body"))
		if !m.AutoReply || m.AutoReplyReason != "subject" {
			t.Errorf("subject %q: AutoReply %v %q", subject, m.AutoReply, m.AutoReplyReason)
		}
	}
	m := mustParse(t, raw(
		"From: a@example.com", "Subject: Read: hello",
		"Content-Type: multipart/report; report-type=disposition-notification; boundary=r", "",
		"--r", "Content-Type: text/plain", "", "Your message was read.",
		"--r", "Content-Type: message/disposition-notification", "", "Final-Recipient: rfc822; a@example.com", "Disposition: manual-action/MDN-sent-manually; displayed",
		"--r--"))
	if !m.AutoReply || m.AutoReplyReason != "read receipt" || m.Bounce != nil {
		t.Errorf("read receipt: AutoReply %v %q, bounce %+v", m.AutoReply, m.AutoReplyReason, m.Bounce)
	}
}

func TestNonStandardBounces(t *testing.T) {
	t.Run("qmail", func(t *testing.T) {
		m := mustParse(t, raw(
			"Return-Path: <>",
			"Delivered-To: bounce+ticket-10023=lilei=example.com@okpay.example",
			"From: MAILER-DAEMON@mx.example.com",
			"To: bounce+ticket-10023=lilei=example.com@okpay.example",
			"Subject: failure notice",
			"",
			"Hi. This is the qmail-send program at mx.example.com.",
			"I'm afraid I wasn't able to deliver your message to the following addresses.",
			"This is a permanent error; I've given up. Sorry it didn't work out.",
			"",
			"<lilei@example.com>:",
			"Sorry, no mailbox here by that name. (#5.1.1)",
			"",
			"--- Below this line is a copy of the message.",
			"",
			"Return-Path: <bounce+ticket-10023=lilei=example.com@okpay.example>",
			"From: OKPay Support <support@okpay.example>",
			"To: lilei@example.com",
			"Message-ID: <ticket-10023-4@okpay.example>",
			"Subject: [#10023] Re: withdrawal",
			"",
			"We have refunded the withdrawal.",
		))
		b := m.Bounce
		if b == nil {
			t.Fatal("not a bounce")
		}
		want := []inbound.BounceRecipient{{Address: "lilei@example.com", Action: "failed", Status: "5.1.1"}}
		if diff := cmp.Diff(want, b.Recipients); diff != "" {
			t.Errorf("recipients (-want +got):\n%s", diff)
		}
		if b.Standard || !b.Permanent() || b.OriginalMessageID != "ticket-10023-4@okpay.example" ||
			b.EnvelopeTo != "bounce+ticket-10023=lilei=example.com@okpay.example" || m.AutoReply {
			t.Errorf("bounce = %+v", *b)
		}
	})
	t.Run("chinese webmail", func(t *testing.T) {
		m := mustParse(t, raw(
			"From: \"=?UTF-8?B?"+b64("系统退信")+"?=\" <postmaster@qq.com>",
			"To: support@okpay.example",
			"Subject: =?UTF-8?B?"+b64("系统退信")+"?=",
			"Content-Type: multipart/mixed; boundary=q",
			"",
			"--q",
			"Content-Type: text/plain; charset=utf-8",
			"",
			"很抱歉您的邮件被退回，以下是该邮件的相关信息：",
			"收件人：nobody123@qq.com",
			"退信原因：550 Mailbox not found.",
			"--q",
			"Content-Type: message/rfc822",
			"",
			"Message-ID: <ack-10024@okpay.example>",
			"Subject: [#10024] 我们已收到您的邮件",
			"",
			"您好",
			"--q--",
		))
		b := m.Bounce
		if b == nil {
			t.Fatal("not a bounce")
		}
		want := []inbound.BounceRecipient{{Address: "nobody123@qq.com", Action: "failed", Diagnostic: "退信原因：550 Mailbox not found."}}
		if diff := cmp.Diff(want, b.Recipients); diff != "" {
			t.Errorf("recipients (-want +got):\n%s", diff)
		}
		if b.OriginalMessageID != "ack-10024@okpay.example" || b.OriginalSubject != "[#10024] 我们已收到您的邮件" {
			t.Errorf("original %q %q", b.OriginalMessageID, b.OriginalSubject)
		}
	})
	t.Run("customer writing about a returned mail is not a bounce", func(t *testing.T) {
		m := mustParse(t, raw("From: lilei@example.com", "Subject: Returned mail from your system?", "", "Your mail came back undeliverable."))
		if m.Bounce != nil || m.Automated() {
			t.Errorf("bounce %+v, automated %v", m.Bounce, m.Automated())
		}
	})
}

func TestParseErrors(t *testing.T) {
	for name, in := range map[string][]byte{
		"empty":         nil,
		"blank lines":   []byte("\r\n\r\n"),
		"binary noise":  {0x00, 0xff, 0x13, 0x37, 0x80, 0x81},
		"text, no head": []byte("hello there\nhow are you\n"),
	} {
		if m, err := inbound.Parse(in); !errors.Is(err, inbound.ErrNotMessage) || m != nil {
			t.Errorf("%s: Parse = %v, %v; want ErrNotMessage", name, m, err)
		}
	}
	// A header alone is a message.
	m := mustParse(t, []byte("From: a@example.com\r\n"))
	if m.From.Address != "a@example.com" || m.Text != "" {
		t.Errorf("header-only message: %+v", m)
	}
}

func TestParseTolerance(t *testing.T) {
	t.Run("missing closing boundary and empty parts", func(t *testing.T) {
		m := mustParse(t, raw("Subject: x", "Content-Type: multipart/mixed; boundary=zz", "", "--zz", "", "first", "--zz", "Content-Type: text/plain", "", "second"))
		if m.Text != "first\n\nsecond" || !strings.Contains(strings.Join(m.Problems, "|"), "multipart not closed") {
			t.Errorf("Text %q problems %q", m.Text, m.Problems)
		}
	})
	t.Run("empty plain alternative", func(t *testing.T) {
		m := mustParse(t, raw("Subject: x", "Content-Type: multipart/alternative; boundary=a", "",
			"--a", "Content-Type: text/plain; charset=utf-8", "", " ",
			"--a", "Content-Type: text/html; charset=gbk", "", "<p>"+encode(t, simplifiedchinese.GBK, "账户被锁")+"</p>",
			"--a--"))
		if m.Text != "账户被锁" || m.Charset != "gb18030" {
			t.Errorf("Text %q (%s)", m.Text, m.Charset)
		}
	})
	t.Run("white-space line folded into the last field", func(t *testing.T) {
		m := mustParse(t, raw("From: a@example.com", "Subject: Re: TEST", " ", "\t=?UTF-8?B?"+b64("测试")+"?=", "", "body"))
		if m.Subject != "Re: TEST 测试" || m.Text != "body" {
			t.Errorf("Subject %q Text %q", m.Subject, m.Text)
		}
	})
	t.Run("wrong boundary", func(t *testing.T) {
		m := mustParse(t, raw("Subject: x", "Content-Type: multipart/alternative; boundary=nope", "", "--real", "Content-Type: text/plain", "", "found it", "--real--"))
		if m.Text != "found it" {
			t.Errorf("Text %q problems %q", m.Text, m.Problems)
		}
	})
	t.Run("deep nesting", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("Subject: deep\r\n")
		for i := range 100 {
			b.WriteString("Content-Type: multipart/mixed; boundary=b" + itoa(i) + "\r\n\r\n--b" + itoa(i) + "\r\n")
		}
		b.WriteString("Content-Type: text/plain\r\n\r\nbottom\r\n")
		m := mustParse(t, []byte(b.String()))
		if !strings.Contains(strings.Join(m.Problems, "|"), "nested too deep") {
			t.Errorf("problems %q", m.Problems)
		}
	})
	t.Run("NUL and invalid bytes", func(t *testing.T) {
		m := mustParse(t, []byte("Subject: a\x00b\xff\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nx\x00y\xfe"))
		if strings.ContainsRune(m.Subject, 0) || strings.ContainsRune(m.Text, 0) {
			t.Errorf("Subject %q Text %q", m.Subject, m.Text)
		}
	})
	t.Run("format=flowed", func(t *testing.T) {
		m := mustParse(t, raw("Subject: x", "Content-Type: text/plain; charset=utf-8; format=flowed", "", "This is a long ", "line.", "> quoted ", "> more", "-- ", "sig"))
		if m.Text != "This is a long line.\n> quoted more\n-- \nsig" && m.Text != "This is a long line.\n> quoted more\n--\nsig" {
			t.Errorf("Text = %q", m.Text)
		}
		if m.NewText != "This is a long line." {
			t.Errorf("NewText = %q", m.NewText)
		}
	})
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var d []byte
	for ; i > 0; i /= 10 {
		d = append([]byte{byte('0' + i%10)}, d...)
	}
	return string(d)
}
