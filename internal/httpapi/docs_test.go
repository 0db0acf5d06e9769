package httpapi

import "testing"

func TestInlineCodeEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"use `Idempotency-Key` here": "use <code>Idempotency-Key</code> here",
		"<script>`x<y>`":             "&lt;script&gt;<code>x&lt;y&gt;</code>",
		"an odd ` tick":              "an odd ` tick",
		"`a` and `b`":                "<code>a</code> and <code>b</code>",
		`{"error":{"type"}}`:         `{&#34;error&#34;:{&#34;type&#34;}}`,
	} {
		if got := string(inlineCode(in)); got != want {
			t.Errorf("inlineCode(%q) = %q, want %q", in, got, want)
		}
	}
}
