package inbound_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/inbound"
)

// corpusBounces are the delivery reports in the corpus: the
// multipart_report_emails__ files, and a sendmail delay warning among the
// MIME examples.
var corpusBounces = map[string]bool{
	"multipart_report_emails__multi_address_bounce1.eml":            true,
	"multipart_report_emails__multi_address_bounce2.eml":            true,
	"multipart_report_emails__multipart_report_multiple_status.eml": true,
	"multipart_report_emails__report_422.eml":                       true,
	"multipart_report_emails__report_530.eml":                       true,
	"mime_emails__raw_email_with_mimepart_without_content_type.eml": true,
}

// TestCorpusParses parses every message of the corpus: none may fail or
// panic, every one keeps the package's invariants, and exactly the
// delivery reports are bounces.
func TestCorpusParses(t *testing.T) {
	files := corpusFiles(t)
	if len(files) < 100 {
		t.Errorf("corpus has %d messages, want the 103 of its README", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m := mustParse(t, b)
			if got, want := m.Bounce != nil, corpusBounces[name]; got != want {
				t.Errorf("bounce = %v, want %v (%+v)", got, want, m.Bounce)
			}
			// A relaying MTA hands bare-LF mail over with CRLF: the
			// result must not depend on it.
			crlf := strings.ReplaceAll(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n", "\r\n")
			m2 := mustParse(t, []byte(crlf))
			if m2.Subject != m.Subject || m2.Text != m.Text || len(m2.Attachments) != len(m.Attachments) || (m2.Bounce != nil) != (m.Bounce != nil) {
				t.Errorf("CRLF version differs: subject %q/%q, text %q/%q", m.Subject, m2.Subject, m.Text, m2.Text)
			}
		})
	}
}

type corpusWant struct {
	subject     string
	from        string // Address.String()
	to          []string
	messageID   string
	date        string // RFC 3339, "" for a zero Date
	text        string // a prefix of Text
	emptyText   bool
	newText     string // the whole NewText, when set
	charset     string
	attachments []string
	inline      []bool
	autoReply   string
}

var corpus = map[string]corpusWant{
	"attachment_emails__attachment_content_disposition.eml": {
		subject: "testing", from: "foo@example.com", to: []string{"blah@example.com"},
		messageID: "9169D984-4E0B-45EF-82D4-8F5E53AD7012@example.com", date: "2005-06-06T22:21:22+02:00",
		text: "This is the first part.", charset: "windows-1252", attachments: []string{"api.rb"},
	},
	"attachment_emails__attachment_content_location.eml": {
		attachments: []string{"Photo25.jpg"}, inline: []bool{true},
	},
	"attachment_emails__attachment_message_rfc822.eml": {
		text: "This is the first part.", attachments: []string{"ForwardedMessage.eml"},
	},
	"attachment_emails__attachment_message_rfc822_inline_image.eml": {
		// The HTML body holds only the image.
		subject: "test", emptyText: true, attachments: []string{"img.png", "Testmail.eml"}, inline: []bool{true, false},
	},
	"attachment_emails__attachment_nonascii_filename.eml": {
		attachments: []string{"ciële.txt"},
	},
	"attachment_emails__attachment_only_email.eml": {
		subject: "this message JUST contains an attachment", from: "Ryan Finnie <rfinnie@domain.dom>",
		date: "2003-10-23T22:40:49-07:00", emptyText: true, attachments: []string{"blah.gz"},
	},
	"attachment_emails__attachment_pdf.eml": {
		subject: "Another PDF with 🎉 Unicode chars in it 🍿", from: "Test Tester <xxxx@xxxx.com>",
		text:        "Just attaching another PDF, here, to see what the message looks like,\nand to see if I can figure out what is going wrong here.",
		attachments: []string{"broken.pdf"},
	},
	"attachment_emails__attachment_pdf_lf.eml": {
		subject: "Another PDF with 🎉 Unicode chars in it 🍿", attachments: []string{"broken.pdf"},
	},
	"attachment_emails__attachment_with_base64_encoded_name.eml": {
		subject: "Fwd: Signed email causes file attachments", attachments: []string{"This is a test.pdf"},
		// A forward: the forwarded message is the content.
		text: "We should not include these files or vcards as attachments.\n\n---------- Forwarded message ----------\nFrom: xxxxx xxxxxx <xxxxxxxx@xxx.com>",
	},
	"attachment_emails__attachment_with_encoded_name.eml": {
		attachments: []string{"01 Quien Te Dij\ufffdat. Pitbull.mp3"},
	},
	"attachment_emails__attachment_with_quoted_filename.eml": {
		subject: "Eelanalüüsi päring", from: "Jeffrey Hardy <jeff@37signals.com>",
		attachments: []string{"Eelanalüüsi päring.jpg"}, inline: []bool{true},
	},
	"attachment_emails__attachment_with_unquoted_name.eml": {
		attachments: []string{"This is a test.txt"},
	},
	"error_emails__bad_date_header.eml": {
		subject: "You may_be Eligible for Legitimate_Cash from_GovAgencies!", date: "", autoReply: "Precedence: junk",
	},
	"error_emails__bad_date_header2.eml": {
		subject: "40% OFF holiday patterns and fabric!", from: "Free-Quilting.com <enews@Free-Quilting.com>", date: "",
	},
	"error_emails__bad_encoded_subject.eml": {
		subject: "TEST", text: "TEST",
	},
	"error_emails__bad_subject.eml": {
		subject: "MySurvey.com: You have a survey waiting! 91123105", from: "MySurvey.com & Carol Adams <carol@mysurvey.com>",
		text: "You have a survey waiting!", charset: "utf-8",
	},
	"error_emails__content_transfer_encoding_empty.eml": {
		// Big5 that went through Latin-1 on its way, in a raw 8-bit
		// header and an HTML body.
		subject: "4d8119\u3000(大補泡麵專賣) 大家說英語 每日聽MP3 (2004年6月份) 繁體中文光碟版 (英語教學)\u30008afb90",
		charset: "big5",
	},
	"error_emails__content_transfer_encoding_qp_with_space.eml": {
		text: "If you're in need of a good RX site for online purchases, we are your answer.",
	},
	"error_emails__content_transfer_encoding_spam.eml": {
		subject: "", text: "middagh  oldusercompare",
	},
	"error_emails__content_transfer_encoding_text-html.eml": {
		subject: "Re: We will help you refinance your home.",
		text:    "Hello,\nYou have qualified for the lowest rate in years.",
	},
	"error_emails__content_transfer_encoding_x_uuencode.eml": {
		subject:     "PGP Comments on RTO West Release of Dec. 14",
		newText:     "Attached are the comments of the Public Generating Pool.",
		attachments: []string{"PGP_Cmts_on_12-14-01_Pkg.doc"},
	},
	"error_emails__empty_group_lists.eml": {
		subject: "Western Union Swift Money Transfer", to: []string{}, text: "Attention Beneficiary:",
	},
	"error_emails__empty_in_reply_to.eml": {
		messageID: "F194F88AF3E341A6B2B135CC17912811@articondell", autoReply: "List-Id",
	},
	"error_emails__header_fields_with_empty_values.eml": {
		from: "Jørn Støylen <jorn@prikkprikkprikk.no>", subject: "Testmail",
	},
	"error_emails__invalid_subject_characters.eml": {
		// Raw Latin-1 in the header, no charset declared anywhere.
		subject: "Formação FrenetikPolis: Mega Campanha Final Verão | Cursos de Setembro",
		from:    "Formação Frenetikpolis <info@formacaofrenetik.info>",
		to:      []string{"martin@internet.ao", "iris@internet.ao", "support@maxnet.ao"},
	},
	"error_emails__multiple_content_types.eml":                {text: "foo"},
	"error_emails__multiple_invalid_content_dispositions.eml": {text: "foo"},
	"error_emails__new_line_in_to_header.eml": {
		to: []string{"leads@sg.dc.com", "sag@leads.gs.ry.com", "sn@example-hotmail.com", "e-s-a-g-8718@app.ar.com", "jp@t-exmaple.com", "cc@c-l-example.com"},
	},
	"error_emails__trademark_character_in_subject.eml": {
		subject: "GA.comô has a lead for you", date: "2010-10-12T16:21:05Z",
	},
	"error_emails__weird_to_header.eml": {
		to: []string{"user-example@aol.com", "e-s-a-s-2200@app.ar.com"},
	},
	"mime_emails__email_with_similar_boundaries.eml": {
		text: "Test", attachments: []string{"LOGO.png"},
	},
	"mime_emails__raw_email11.eml": {
		// text/plain chosen over text/enriched.
		text: "XXXXX Xxxxx",
	},
	"mime_emails__raw_email4.eml": {
		subject: "Filth", newText: "Some text",
	},
	"mime_emails__raw_email7.eml": {
		text: "This is the first part.", attachments: []string{"test.rb", "test.pdf", "smime.p7s"}, inline: []bool{false, true, false},
	},
	"mime_emails__raw_email_encoded_stack_level_too_deep.eml": {
		subject: "Nicolas Fouché has accepted your invitation to Gmail", to: []string{"Nicolas Fouché <a.b@gmail.com>"},
		text: "Nicolas Fouché has accepted",
	},
	"mime_emails__raw_email_with_binary_encoded.eml": {
		attachments: []string{"2013-08-13_19-08-28-1.jpg"},
	},
	"mime_emails__raw_email_with_illegal_boundary.eml": {
		text: "Hello\nThis is an outlook test\n\nSo there.\n\nMe.",
	},
	"mime_emails__raw_email_with_quoted_illegal_boundary.eml": {
		text: "Hello\nThis is an outlook test\n\nSo there.\n\nMe.",
	},
	"mime_emails__raw_email_with_nested_attachment.eml": {
		// The S/MIME signature of multipart/signed is not a file.
		text: "Here is a test of an attachment via email.", attachments: []string{"truncated.png"},
	},
	"mime_emails__sig_only_email.eml": {
		subject: "Re: Testing multipart/signed", text: "This is random text, not what has been signed below",
	},
	"multi_charset__japanese.eml": {
		subject: "まみむめも", to: []string{"みける <raasdnil@gmail.com>"}, text: "かきくえこ", newText: "かきくえこ", charset: "utf-8",
	},
	"multi_charset__japanese_attachment.eml": {
		attachments: []string{"てすと.txt"}, newText: "testing",
	},
	"multi_charset__japanese_attachment_long_name.eml": {
		subject:     "まみむめもまみむめもまみむめもまみむめもまみむめもまみむめもまみむめもまみむめもまみむめもまみむめも",
		attachments: []string{"かきくけこかきくけこかきくけこかきくけこかきくけこ.txt"},
	},
	"multi_charset__japanese_iso_2022.eml": {
		text: "すみません。", charset: "iso-2022-jp",
	},
	"multi_charset__japanese_shift_jis.eml": {
		text: "あいうえお\n\nこのメールはテスト用のメールです。", charset: "shift_jis",
	},
	"multi_charset__ks_c_5601-1987.eml": {
		text: "스티해", charset: "euc-kr",
	},
	"plain_emails__basic_email.eml": {
		subject: "Testing 123", from: "Mikel Lindsaar <test@lindsaar.net>", to: []string{"Mikel Lindsaar <raasdnil@gmail.com>"},
		date: "2008-11-22T15:04:59+11:00", text: "Plain email.\n\nHope it works well!\n\nMikel", charset: "utf-8",
	},
	"plain_emails__basic_email_lf.eml": {
		subject: "Testing 123", text: "Plain email.\n\nHope it works well!\n\nMikel",
	},
	"plain_emails__mix_caps_content_type.eml": {
		from: "Big Bug <bb@bug.com>", messageID: "201002191008.30117.foo.bar@company.com", text: "foo bar",
	},
	"plain_emails__raw_email.eml": {
		subject: "NOTE: 한국말로 하는 것", text: "대부분의 마찬가지로, 우리는 하나님을 믿습니다.", charset: "euc-kr",
	},
	"plain_emails__raw_email10.eml": {
		// charset=X-UNKNOWN over UTF-8 bytes.
		text: "Test test. Hi. Waving. m", charset: "utf-8",
	},
	"plain_emails__raw_email_bad_time.eml": {
		from: "Атиковa <yusuf75thu@auracom.net>", date: "", charset: "windows-1251",
	},
	"plain_emails__raw_email_multiple_from.eml": {
		from: "tim@powerupdev.com", to: []string{"tim@powerupdev.com", "concierge@powerupdev.com"},
	},
	"plain_emails__raw_email_quoted_with_0d0a.eml": {
		text: "A fax has arrived from remote ID ''.\n------------------------------------------------------------\nTime: 3/9/2006 3:50:52 PM",
	},
	"plain_emails__raw_email_string_in_date_field.eml": {
		date: "2008-09-20T20:04:30+03:00",
	},
	"plain_emails__raw_email_with_at_display_name.eml": {
		to: []string{"smith@gmail.com", "Mikel@Lindsaar <raasdnil@gmail.com>", "tom@gmail.com"},
	},
	"plain_emails__raw_email_with_partially_quoted_subject.eml": {
		subject: `Re: Test: "漢字" mid "漢字" tail`,
	},
	"rfc2822__example03.eml": {
		to: []string{"Mary Smith <mary@x.test>", "jdoe@example.org", "Who? <one@y.test>"},
	},
	"rfc2822__example04.eml": {
		to: []string{"Chris Jones <c@a.test>", "joe@where.test", "John <jdoe@one.test>"}, date: "1969-02-13T23:32:54-03:30",
	},
	"rfc2822__example10.eml": {
		from: "Pete <pete@silly.test>", to: []string{"Chris Jones <c@public.example>", "joe@example.org", "John <jdoe@one.test>"},
		messageID: "testabcd.1234@silly.test", date: "1969-02-13T23:32:00-03:30",
	},
	"rfc2822__example11.eml": {
		to: []string{"Mary Smith <mary@example.net>", "jdoe@test.example"},
	},
	"rfc2822__example12.eml": {
		date: "1997-11-21T09:55:06Z",
	},
	"rfc2822__example13.eml": {
		// Obsolete syntax: white space before colons, comments and
		// white space inside addresses, ids and the date.
		subject: "Saying Hello", from: "John Doe <jdoe@machine.example>", to: []string{"Mary Smith <mary@example.net>"},
		messageID: "1234@local.machine.example", date: "1997-11-21T09:55:06-06:00",
	},
	"rfc2822__example14.eml": {
		subject: "Re: TEST テストテスト", from: "Atsushi Yoshida <atsushi@example.com>", text: "Hello",
	},
	"rfc6532__utf8_headers.eml": {
		subject: "Säying Hello", from: "Jöhn Doe <jdöe@mächine.example>", to: []string{"Märy Smith <märy@exämple.net>"}, text: "body",
	},
}

func TestCorpusValues(t *testing.T) {
	dir := corpusDir(t)
	for name, w := range corpus {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			m := mustParse(t, b)
			if w.subject != "" || name == "error_emails__content_transfer_encoding_spam.eml" {
				if m.Subject != w.subject {
					t.Errorf("Subject = %q, want %q", m.Subject, w.subject)
				}
			}
			if w.from != "" && m.From.String() != w.from {
				t.Errorf("From = %q, want %q", m.From.String(), w.from)
			}
			if w.to != nil {
				var to []string
				for _, a := range m.To {
					to = append(to, a.String())
				}
				if diff := cmp.Diff(w.to, to, cmpEmpty); diff != "" {
					t.Errorf("To (-want +got):\n%s", diff)
				}
			}
			if w.messageID != "" && m.MessageID != w.messageID {
				t.Errorf("MessageID = %q, want %q", m.MessageID, w.messageID)
			}
			if w.date != "" || strings.Contains(name, "bad_date") || strings.Contains(name, "bad_time") {
				got := ""
				if !m.Date.IsZero() {
					got = m.Date.Format(time.RFC3339)
				}
				if got != w.date {
					t.Errorf("Date = %q, want %q", got, w.date)
				}
			}
			if !strings.HasPrefix(m.Text, w.text) || w.emptyText && m.Text != "" {
				t.Errorf("Text = %q, want it to start with %q", m.Text, w.text)
			}
			if w.newText != "" && m.NewText != w.newText {
				t.Errorf("NewText = %q, want %q", m.NewText, w.newText)
			}
			if w.charset != "" && m.Charset != w.charset {
				t.Errorf("Charset = %q, want %q", m.Charset, w.charset)
			}
			if w.attachments != nil {
				if diff := cmp.Diff(w.attachments, names(m.Attachments)); diff != "" {
					t.Errorf("attachments (-want +got):\n%s", diff)
				}
			}
			for i, inl := range w.inline {
				if i < len(m.Attachments) && m.Attachments[i].Inline != inl {
					t.Errorf("attachment %q Inline = %v, want %v", m.Attachments[i].Filename, m.Attachments[i].Inline, inl)
				}
			}
			if m.AutoReplyReason != w.autoReply {
				t.Errorf("AutoReplyReason = %q, want %q", m.AutoReplyReason, w.autoReply)
			}
		})
	}
}

var cmpEmpty = cmp.Transformer("nilEmpty", func(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
})

func TestCorpusBounces(t *testing.T) {
	dir := corpusDir(t)
	type rcpt struct{ addr, action, status, diag string }
	tests := []struct {
		file       string
		permanent  bool
		rcpts      []rcpt
		mta        string
		originalID string
		envelopeTo string
	}{
		{"multipart_report_emails__report_530.eml", true,
			[]rcpt{{"edwin@zzzzzzz.com", "failed", "5.3.0", "553 5.3.0 <edwin@zzzzzzz.com>... Unknown E-Mail Address"}},
			"mail12.rrrr.com.au", "200712232303.lBNN3jDq002941@mail12.rrrr.com.au", "mikel@sssss.net"},
		{"multipart_report_emails__report_422.eml", false,
			[]rcpt{{"fraser@oooooooo.com.au", "delayed", "4.2.2", "452 4.2.2 <fraser@oooooooo.com.au>... Mailbox full"}},
			"mail11.ttttt.com.au", "15655788.13.1200472642578.JavaMail.Administrator@mail.ttttt.com.au", "jennifer@sss.sssssss.net.au"},
		{"multipart_report_emails__multipart_report_multiple_status.eml", true,
			[]rcpt{{"u@ci.com", "failed", "5.3.0", ""}},
			"schemailmta04.ci.com", "4c2a146147ac8_61ff157c4ec1652df@s.h.c.mail", "notification+promo@blah.com"},
		{"mime_emails__raw_email_with_mimepart_without_content_type.eml", false,
			[]rcpt{{"larose.julie@courrier.uqam.ca", "delayed", "4.5.0", ""}},
			"antivirus.uqam.ca", "89d7557c0610181510r6fa5ebd8n66a7deec71ade118@mail.gmail.com", "roor32@gmail.com"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			m := mustParse(t, b)
			if m.Bounce == nil {
				t.Fatal("not recognised as a bounce")
			}
			bo := m.Bounce
			var got []rcpt
			for _, r := range bo.Recipients {
				got = append(got, rcpt{r.Address, r.Action, r.Status, r.Diagnostic})
			}
			if diff := cmp.Diff(tc.rcpts, got, cmp.AllowUnexported(rcpt{})); diff != "" {
				t.Errorf("recipients (-want +got):\n%s", diff)
			}
			if !bo.Standard || bo.Permanent() != tc.permanent || bo.ReportingMTA != tc.mta ||
				bo.OriginalMessageID != tc.originalID || bo.EnvelopeTo != tc.envelopeTo {
				t.Errorf("bounce = %+v, want standard, permanent %v, MTA %s, original %s, envelope to %s",
					*bo, tc.permanent, tc.mta, tc.originalID, tc.envelopeTo)
			}
			if !m.Automated() || m.AutoReply {
				t.Errorf("Automated() = %v, AutoReply = %v; want a bounce that is not an auto-reply", m.Automated(), m.AutoReply)
			}
		})
	}

	// Five recipients, each failed 5.1.1; the returned message attached.
	for _, f := range []string{"multipart_report_emails__multi_address_bounce1.eml", "multipart_report_emails__multi_address_bounce2.eml"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		m := mustParse(t, b)
		if m.Bounce == nil || len(m.Bounce.Recipients) != 5 || !m.Bounce.Permanent() {
			t.Fatalf("%s: bounce %+v, want 5 permanent failures", f, m.Bounce)
		}
		for _, r := range m.Bounce.Recipients {
			if r.Status != "5.1.1" || !strings.HasSuffix(r.Address, "@gmail.com") || !strings.HasPrefix(r.Diagnostic, "550-5.1.1 The email account") {
				t.Errorf("%s: recipient %+v", f, r)
			}
		}
		if m.Bounce.OriginalMessageID != "118707422.15521266992174819.JavaMail.root@lvmail01" || m.Bounce.OriginalSubject != "Test of bounce email" {
			t.Errorf("%s: original %q %q", f, m.Bounce.OriginalMessageID, m.Bounce.OriginalSubject)
		}
		if diff := cmp.Diff([]string{"Test of bounce email.eml"}, names(m.Attachments)); diff != "" {
			t.Errorf("%s: attachments (-want +got):\n%s", f, diff)
		}
	}
}

// TestCorpusThreading checks the threading headers of the corpus's
// replies.
func TestCorpusThreading(t *testing.T) {
	dir := corpusDir(t)
	tests := []struct {
		file                 string
		id                   string
		inReplyTo, refs, ids []string
	}{
		{"rfc2822__example07.eml", "abcd.1234@local.machine.tld", []string{"3456@example.net"},
			[]string{"1234@local.machine.example", "3456@example.net"}, []string{"3456@example.net", "1234@local.machine.example"}},
		{"plain_emails__raw_email_reply.eml", "473FFE27.20003@xxx.org", []string{"348F04F142D69C21-291E56D292BC@xxxx.net"},
			[]string{"473FF3B8.9020707@xxx.org", "348F04F142D69C21-291E56D292BC@xxxx.net"},
			[]string{"348F04F142D69C21-291E56D292BC@xxxx.net", "473FF3B8.9020707@xxx.org"}},
		{"error_emails__multiple_references_with_one_invalid.eml", "105647271315.NCV17523@x263.net", nil,
			[]string{"foo@bar.net", "baz@bar.net", "invalid.something@bar.net"},
			[]string{"invalid.something@bar.net", "baz@bar.net", "foo@bar.net"}},
		{"error_emails__empty_in_reply_to.eml", "F194F88AF3E341A6B2B135CC17912811@articondell", nil, nil, nil},
	}
	for _, tc := range tests {
		b, err := os.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		m := mustParse(t, b)
		if m.MessageID != tc.id {
			t.Errorf("%s: MessageID = %q, want %q", tc.file, m.MessageID, tc.id)
		}
		if diff := cmp.Diff(tc.inReplyTo, m.InReplyTo); diff != "" {
			t.Errorf("%s: InReplyTo (-want +got):\n%s", tc.file, diff)
		}
		if diff := cmp.Diff(tc.refs, m.References); diff != "" {
			t.Errorf("%s: References (-want +got):\n%s", tc.file, diff)
		}
		if diff := cmp.Diff(tc.ids, m.ThreadIDs()); diff != "" {
			t.Errorf("%s: ThreadIDs (-want +got):\n%s", tc.file, diff)
		}
	}
}

// TestCorpusNotes checks that odd messages say why they look odd.
func TestCorpusNotes(t *testing.T) {
	dir := corpusDir(t)
	for file, want := range map[string]string{
		"error_emails__content_transfer_encoding_spam.eml":       `unknown transfer encoding "7vladi.pimenovit"`,
		"plain_emails__raw_email_with_bad_date.eml":              `unreadable Date "Pn, 29 paX 2007 21:13:00 +0100"`,
		"plain_emails__raw_email_incorrect_header.eml":           "skipped a line that is not a field: quite Delivered-To",
		"error_emails__missing_body.eml":                         "multipart/mixed without parts",
		"attachment_emails__attachment_pdf_non_ascii.eml":        "declared iso-8859-1 but is UTF-8",
		"error_emails__content_transfer_encoding_empty.eml":      "UTF-8 mojibake of big5 undone",
		"error_emails__content_transfer_encoding_text-html.eml":  `unknown transfer encoding "text/html"`,
		"plain_emails__raw_email_bad_time.eml":                   `unreadable Date "Mon, 30 Jun 3609 15:33:50 +0600"`,
		"error_emails__bad_encoded_subject.eml":                  "no From",
		"error_emails__content_transfer_encoding_x_uuencode.eml": "",
	} {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		m := mustParse(t, b)
		joined := strings.Join(m.Problems, "\n")
		if want == "" && joined != "" || !strings.Contains(joined, want) {
			t.Errorf("%s: problems %q, want one with %q", file, m.Problems, want)
		}
	}
}

// TestCorpusAutoReplies checks which corpus messages are machine-sent and
// why.
func TestCorpusAutoReplies(t *testing.T) {
	want := map[string]string{
		"error_emails__bad_date_header.eml":   "Precedence: junk",
		"error_emails__empty_in_reply_to.eml": "List-Id",
	}
	for _, f := range corpusFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := inbound.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.AutoReplyReason; got != want[filepath.Base(f)] {
			t.Errorf("%s: AutoReplyReason = %q, want %q", filepath.Base(f), got, want[filepath.Base(f)])
		}
	}
}
