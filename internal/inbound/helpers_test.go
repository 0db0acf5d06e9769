package inbound_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding"

	"github.com/okpay/okpay/internal/inbound"
)

// raw joins lines into a message with CRLF line ends.
func raw(lines ...string) []byte {
	return []byte(strings.Join(lines, "\r\n"))
}

func mustParse(tb testing.TB, b []byte) *inbound.Message {
	tb.Helper()
	m, err := inbound.Parse(b)
	if err != nil {
		tb.Fatalf("Parse: %v\n%s", err, b)
	}
	checkMessage(tb, m)
	return m
}

// encode turns UTF-8 text into a legacy charset, for building test mail.
func encode(tb testing.TB, enc encoding.Encoding, s string) string {
	tb.Helper()
	b, err := enc.NewEncoder().String(s)
	if err != nil {
		tb.Fatalf("encode %q: %v", s, err)
	}
	return b
}

// checkMessage checks the invariants of every parsed message: every
// string valid UTF-8 without NUL, attachment sizes right, file names
// without directories.
func checkMessage(tb testing.TB, m *inbound.Message) {
	tb.Helper()
	checkStrings(tb, reflect.ValueOf(m).Elem(), "Message")
	for _, a := range m.Attachments {
		if a.Size != len(a.Data) {
			tb.Errorf("attachment %q: Size %d, len(Data) %d", a.Filename, a.Size, len(a.Data))
		}
		if a.Filename == "" || strings.ContainsAny(a.Filename, "/\\") {
			tb.Errorf("attachment file name %q: want a non-empty base name", a.Filename)
		}
		if a.ContentType == "" || !strings.Contains(a.ContentType, "/") {
			tb.Errorf("attachment %q: content type %q", a.Filename, a.ContentType)
		}
	}
	if m.Bounce != nil && m.AutoReply {
		tb.Errorf("message is both a bounce and an auto-reply")
	}
}

func checkStrings(tb testing.TB, v reflect.Value, path string) {
	tb.Helper()
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			tb.Errorf("%s = %q: not valid UTF-8 text", path, s)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			checkStrings(tb, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // attachment data is bytes
		}
		for i := 0; i < v.Len(); i++ {
			checkStrings(tb, v.Index(i), path+"[]")
		}
	case reflect.Pointer:
		if !v.IsNil() {
			checkStrings(tb, v.Elem(), path)
		}
	}
}

// corpusPath is where the shared real-world mail corpus is;
// OKPAY_MAIL_CORPUS overrides it.
func corpusPath() string {
	if dir := os.Getenv("OKPAY_MAIL_CORPUS"); dir != "" {
		return dir
	}
	return filepath.Join("..", "..", "..", "shared", "testdata", "mail")
}

// corpusDir returns the corpus directory, or skips the test loudly.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	dir := corpusPath()
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("!!! MAIL CORPUS NOT FOUND at %s (%v): the real-world mail tests did NOT run; set OKPAY_MAIL_CORPUS !!!", dir, err)
	}
	return dir
}

func corpusFiles(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir(tb), "*.eml"))
	if err != nil || len(files) == 0 {
		tb.Skipf("!!! MAIL CORPUS EMPTY (%v): the real-world mail tests did NOT run !!!", err)
	}
	return files
}

func names(as []inbound.Attachment) []string {
	var n []string
	for _, a := range as {
		n = append(n, a.Filename)
	}
	return n
}
