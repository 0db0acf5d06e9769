package inbound

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

// charsetClass tells how far a declared charset is trusted.
type charsetClass int

const (
	classUnknown charsetClass = iota // not recognised: guess
	classUTF8                        // UTF-8 or ASCII
	classSingle                      // one byte per character (ISO-8859-x, windows-125x, KOI8...)
	classMulti                       // CJK multi-byte (GBK, Big5, Shift_JIS, EUC-x, ISO-2022-JP)
	classOther                       // UTF-16 and other wide encodings: taken as declared
)

type charset struct {
	name  string
	enc   encoding.Encoding
	class charsetClass
}

// charsetAliases maps labels seen in real mail to the decoder to use. GB2312
// and GBK are read as GB18030, their superset: senders that declare GB2312
// routinely use GBK characters. ISO-8859-1 is read as windows-1252, as
// browsers do.
var charsetAliases = map[string]string{
	"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "cp936": "gb18030",
	"ms936": "gb18030", "windows-936": "gb18030", "x-gbk": "gb18030", "euc-cn": "gb18030",
	"x-euc-cn": "gb18030", "csgb2312": "gb18030", "gb_2312-80": "gb18030", "gb2312-80": "gb18030",
	"chinese": "gb18030", "x-gb2312": "gb18030", "csgb231280": "gb18030",
	"big5": "big5", "big-5": "big5", "big5-hkscs": "big5", "x-x-big5": "big5", "cn-big5": "big5",
	"cp950": "big5", "ms950": "big5", "csbig5": "big5", "x-big5": "big5",
	"hz-gb-2312":     "hz-gb-2312",
	"ks_c_5601-1987": "euc-kr", "ks_c_5601-1989": "euc-kr", "ks_c_5601": "euc-kr", "ksc5601": "euc-kr",
	"euc-kr": "euc-kr", "cp949": "euc-kr", "ms949": "euc-kr", "korean": "euc-kr", "x-windows-949": "euc-kr",
	"shift_jis": "shift_jis", "shift-jis": "shift_jis", "sjis": "shift_jis", "x-sjis": "shift_jis",
	"ms_kanji": "shift_jis", "cp932": "shift_jis", "windows-31j": "shift_jis", "csshiftjis": "shift_jis",
	"iso-2022-jp": "iso-2022-jp", "csiso2022jp": "iso-2022-jp", "iso-2022-jp-1": "iso-2022-jp",
	"iso-2022-jp-2": "iso-2022-jp", "euc-jp": "euc-jp", "x-euc-jp": "euc-jp", "cseucpkdfmtjapanese": "euc-jp",
	"utf-8": "utf-8", "utf8": "utf-8", "x-utf-8": "utf-8", "unicode-1-1-utf-8": "utf-8",
	"us-ascii": "utf-8", "ascii": "utf-8", "ansi_x3.4-1968": "utf-8", "iso646-us": "utf-8",
	"us": "utf-8", "cp367": "utf-8", "csascii": "utf-8", "iso-ir-6": "utf-8",
	"iso-8859-1": "windows-1252", "iso8859-1": "windows-1252", "iso_8859-1": "windows-1252",
	"latin1": "windows-1252", "l1": "windows-1252", "cp1252": "windows-1252", "windows-1252": "windows-1252",
	"cp819": "windows-1252", "ibm819": "windows-1252", "iso_8859-1:1987": "windows-1252",
}

var namedCharsets = map[string]charset{
	"gb18030":      {"gb18030", simplifiedchinese.GB18030, classMulti},
	"big5":         {"big5", traditionalchinese.Big5, classMulti},
	"hz-gb-2312":   {"hz-gb-2312", simplifiedchinese.HZGB2312, classMulti},
	"euc-kr":       {"euc-kr", korean.EUCKR, classMulti},
	"shift_jis":    {"shift_jis", japanese.ShiftJIS, classMulti},
	"iso-2022-jp":  {"iso-2022-jp", japanese.ISO2022JP, classMulti},
	"euc-jp":       {"euc-jp", japanese.EUCJP, classMulti},
	"utf-8":        {"utf-8", unicode.UTF8, classUTF8},
	"windows-1252": {"windows-1252", charmap.Windows1252, classSingle},
}

// normLabel lower-cases a charset label and removes quotes, white space
// and an RFC 2231 language suffix ("utf-8*en").
func normLabel(label string) string {
	label = strings.ToLower(strings.Trim(strings.TrimSpace(label), `"' `))
	if i := strings.IndexByte(label, '*'); i >= 0 {
		label = label[:i]
	}
	return strings.TrimSpace(label)
}

// lookupCharset resolves a label; class is classUnknown for an empty or
// unknown one.
func lookupCharset(label string) charset {
	l := normLabel(label)
	if l == "" {
		return charset{}
	}
	if n, ok := charsetAliases[l]; ok {
		return namedCharsets[n]
	}
	enc, err := htmlindex.Get(l)
	if err != nil || enc == nil {
		enc, err = ianaindex.MIME.Encoding(l)
		if err != nil || enc == nil {
			return charset{name: l}
		}
	}
	cs := charset{name: l, enc: enc, class: classOther}
	if _, ok := enc.(*charmap.Charmap); ok {
		cs.class = classSingle
	} else if n, err := htmlindex.Name(enc); err == nil {
		cs.name = n
		switch n {
		case "gbk", "gb18030", "big5", "shift_jis", "euc-jp", "iso-2022-jp", "euc-kr":
			cs.class = classMulti
		case "utf-8":
			cs.class = classUTF8
		}
	}
	return cs
}

// decodeText converts b from the declared charset to UTF-8. It trusts the
// declaration only as far as the bytes agree:
//   - UTF-8/ASCII, missing or unknown: valid UTF-8 is taken as it is;
//     anything else is guessed (guessDecode);
//   - a single-byte charset over bytes that are valid UTF-8 with non-ASCII
//     characters: UTF-8 (the most common mislabelling);
//   - a CJK charset over bytes that are valid UTF-8: either UTF-8 read as
//     Latin-1 on the way (mojibake, undone), or UTF-8 outright when there
//     are enough non-ASCII bytes that GBK or Big5 text could not be valid
//     UTF-8 by chance, or when the declared charset cannot read them.
//
// It returns the text, the charset actually used, and a note when the
// declaration was not followed.
func decodeText(b []byte, label string) (s, used, note string) {
	cs := lookupCharset(label)
	ascii := isASCII(b)
	switch cs.class {
	case classUnknown, classUTF8:
		if utf8.Valid(b) && !hasESC(b) {
			return string(b), "utf-8", ""
		}
		s, used = guessDecode(b)
		switch {
		case cs.class == classUnknown && cs.name != "":
			note = "unknown charset " + quote(cs.name) + ", read as " + used
		case cs.class == classUTF8 && !ascii && label != "" && normLabel(label) != "us-ascii":
			note = "declared " + normLabel(label) + " but is not, read as " + used
		}
		return s, used, note
	case classOther:
		out, err := cs.enc.NewDecoder().Bytes(b)
		if err != nil {
			s, used = guessDecode(b)
			return s, used, "cannot read as " + cs.name + ", read as " + used
		}
		return string(out), cs.name, ""
	}
	declared := normLabel(label)
	if !ascii && utf8.Valid(b) {
		if cs.class == classSingle {
			return string(b), "utf-8", "declared " + declared + " but is UTF-8"
		}
		if fixed, ok := undoLatin1(b, cs.enc); ok {
			return fixed, cs.name, "UTF-8 mojibake of " + declared + " undone"
		}
		if nonASCII(b) >= 6 {
			return string(b), "utf-8", "declared " + declared + " but is UTF-8"
		}
	}
	out, err := cs.enc.NewDecoder().Bytes(b)
	if err != nil {
		s, used = guessDecode(b)
		return s, used, "cannot read as " + declared + ", read as " + used
	}
	if cs.class == classMulti && bytes.ContainsRune(out, utf8.RuneError) && utf8.Valid(b) {
		return string(b), "utf-8", "declared " + declared + " but is UTF-8"
	}
	return string(out), cs.name, ""
}

// undoLatin1 repairs text that was in a CJK charset, read as Latin-1 and
// written out as UTF-8 on the way: every character is in U+0000..U+00FF,
// and turning them back into bytes gives clean text in enc.
func undoLatin1(b []byte, enc encoding.Encoding) (string, bool) {
	raw := make([]byte, 0, len(b))
	high := false
	for _, r := range string(b) {
		if r > 0xFF {
			return "", false
		}
		if r >= 0x80 {
			high = true
		}
		raw = append(raw, byte(r))
	}
	if !high {
		return "", false
	}
	out, err := enc.NewDecoder().Bytes(raw)
	if err != nil || bytes.ContainsRune(out, utf8.RuneError) || !utf8.Valid(out) {
		return "", false
	}
	return string(out), true
}

// guessDecode reads bytes of unknown charset: UTF-8 when valid,
// ISO-2022-JP when it has its escape sequences, GB18030 when the 8-bit
// bytes pair up like GB2312 text, else windows-1252, which reads any byte.
func guessDecode(b []byte) (string, string) {
	if hasESC(b) {
		if out, err := japanese.ISO2022JP.NewDecoder().Bytes(b); err == nil && !bytes.ContainsRune(out, utf8.RuneError) {
			return string(out), "iso-2022-jp"
		}
	}
	if utf8.Valid(b) {
		return string(b), "utf-8"
	}
	if looksGB(b) {
		if out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b); err == nil {
			return string(out), "gb18030"
		}
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD"), "utf-8"
	}
	return string(out), "windows-1252"
}

// looksGB reports bytes whose 8-bit bytes all come in GBK pairs, mostly
// in the GB2312 hanzi rows, with at least two pairs: Chinese text. Latin-1
// text has lone accented letters between ASCII ones and fails.
func looksGB(b []byte) bool {
	pairs, hanzi := 0, 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < 0x80 {
			continue
		}
		if c == 0x80 || c == 0xFF || i+1 >= len(b) {
			return false
		}
		t := b[i+1]
		if t < 0x40 || t == 0x7F || t == 0xFF {
			return false
		}
		pairs++
		if c >= 0xA1 && c <= 0xF7 && t >= 0xA1 && t <= 0xFE {
			hanzi++
		}
		i++
	}
	return pairs >= 2 && hanzi*10 >= pairs*8
}

// headerText turns a raw header value into UTF-8: ISO-2022-JP escapes are
// read as such, 8-bit bytes that are valid UTF-8 are UTF-8 (RFC 6532) unless
// they are mojibake of the message's CJK charset, and other 8-bit bytes are
// read in the message's charset (or guessed). Encoded words are left for
// decodeWords.
func headerText(v []byte, charset string) string {
	if isASCII(v) && !hasESC(v) {
		return string(v)
	}
	if utf8.Valid(v) && !hasESC(v) {
		if cs := lookupCharset(charset); cs.class == classMulti {
			if fixed, ok := undoLatin1(v, cs.enc); ok {
				return fixed
			}
		}
		return string(v)
	}
	s, _, _ := decodeText(v, charset)
	return s
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func nonASCII(b []byte) int {
	n := 0
	for _, c := range b {
		if c >= 0x80 {
			n++
		}
	}
	return n
}

func hasESC(b []byte) bool {
	return bytes.Contains(b, []byte("\x1b$B")) || bytes.Contains(b, []byte("\x1b$@")) || bytes.Contains(b, []byte("\x1b(J"))
}

// sanitize makes s safe to store as text: valid UTF-8, no NUL.
func sanitize(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}

func quote(s string) string { return `"` + clip(s, 40) + `"` }
