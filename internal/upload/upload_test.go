package upload

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"
)

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSniff(t *testing.T) {
	good := pngOf(t, 20, 10)
	pdf := []byte("%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"png", good, PNG},
		{"png cut short", good[:len(good)-20], ""},
		{"png over the pixel bound", pngOf(t, 40, 30), ""},
		{"pdf", pdf, PDF},
		{"pdf without its end", pdf[:20], ""},
		{"html called a picture", []byte("<html><script>alert(1)</script></html>"), ""},
		{"empty", nil, ""},
	} {
		got, ok := Sniff(tt.data, 1000)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%s: Sniff = %q, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
}

func TestFileName(t *testing.T) {
	long := strings.Repeat("长", 120) + ".pdf"
	for in, want := range map[string]string{
		"passport.png":        "passport.png",
		`C:\Users\li\身份证.jpg`: "身份证.jpg",
		"../../etc/passwd":    "passwd",
		"a\"b\r\nc\u2028.pdf": "abc.pdf",
		"/":                   "",
		"..":                  "",
		"\xffok.png":          "ok.png",
		long:                  string([]rune(long)[24:]),
	} {
		if got := FileName(in); got != want {
			t.Errorf("FileName(%q) = %q, want %q", in, got, want)
		}
	}
}
