// Package upload checks files people upload as proof (identity documents,
// dispute evidence): it says what a file is by its content, never by its
// name or the type the browser claims, and keeps a file name safe to show.
package upload

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The types Sniff accepts.
const (
	JPEG = "image/jpeg"
	PNG  = "image/png"
	PDF  = "application/pdf"
)

// Sniff returns what data is, by its content: a JPEG or PNG that decodes
// whole, of at most maxPixels (a small file can claim a huge picture), or
// a PDF with its header and end marker. Anything else is false.
func Sniff(data []byte, maxPixels int64) (string, bool) {
	ct := http.DetectContentType(data)
	switch ct {
	case JPEG, PNG:
		decodeConfig, decode := jpeg.DecodeConfig, jpeg.Decode
		if ct == PNG {
			decodeConfig, decode = png.DecodeConfig, png.Decode
		}
		cfg, err := decodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxPixels {
			return "", false
		}
		var img image.Image
		if img, err = decode(bytes.NewReader(data)); err != nil || img == nil {
			return "", false
		}
		return ct, true
	case PDF:
		if !bytes.HasPrefix(data, []byte("%PDF-1.")) && !bytes.HasPrefix(data, []byte("%PDF-2.")) {
			return "", false
		}
		if !bytes.Contains(data[max(0, len(data)-1024):], []byte("%%EOF")) {
			return "", false
		}
		return ct, true
	}
	return "", false
}

// FileName keeps a name's last path element, without control characters,
// quotes or line separators, at most 100 characters (the end kept, so
// the extension stays): safe to show and to put in a header. It may be
// empty.
func FileName(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' || r == '/' || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, name)
	if name == "." || name == ".." || name == "/" {
		name = ""
	}
	if rs := []rune(name); utf8.RuneCountInString(name) > 100 {
		name = string(rs[len(rs)-100:])
	}
	return strings.TrimSpace(name)
}
