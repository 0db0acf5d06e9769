package i18n

import (
	"errors"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustLoad(t *testing.T) *Catalogue {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestEveryKeyInEveryLanguage(t *testing.T) {
	c := mustLoad(t)
	def := c.Default()
	if def.Code() != ZhCN {
		t.Fatalf("default locale = %s, want %s", def.Code(), ZhCN)
	}
	if len(def.Keys()) == 0 {
		t.Fatal("the zh-CN catalogue is empty")
	}
	for _, l := range c.Locales() {
		if diff := cmp.Diff(def.Keys(), l.Keys()); diff != "" {
			t.Errorf("%s keys differ from %s (-%s +%s):\n%s", l.Code(), def.Code(), def.Code(), l.Code(), diff)
		}
		for _, k := range def.Keys() {
			if got, want := Placeholders(l.T(k)), Placeholders(def.T(k)); !cmp.Equal(got, want) {
				t.Errorf("%s %q placeholders = %v, %s has %v", l.Code(), k, got, def.Code(), want)
			}
		}
	}
}

func TestCheckRefusesDisagreement(t *testing.T) {
	zh := &Locale{info: supported[0], messages: map[string]string{"a": "甲 {n}", "b": "乙"}}
	tests := []struct {
		name string
		en   map[string]string
	}{
		{"missing key", map[string]string{"a": "A {n}"}},
		{"extra key", map[string]string{"a": "A {n}", "b": "B", "c": "C"}},
		{"other placeholder", map[string]string{"a": "A {count}", "b": "B"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Catalogue{locales: []*Locale{zh, {info: supported[1], messages: tt.en}}}
			if err := c.check(); !errors.Is(err, ErrIncomplete) {
				t.Errorf("check = %v, want ErrIncomplete", err)
			}
		})
	}
}

func TestParseCatalogue(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr bool
	}{
		{"flat", `{"a": "一", "b.c": "二 {x}"}`, map[string]string{"a": "一", "b.c": "二 {x}"}, false},
		{"repeated key", `{"a": "一", "a": "二"}`, nil, true},
		{"not a string", `{"a": 1}`, nil, true},
		{"nested", `{"a": {"b": "c"}}`, nil, true},
		{"empty message", `{"a": "  "}`, nil, true},
		{"array", `["a"]`, nil, true},
		{"trailing data", `{"a": "一"} {}`, nil, true},
		{"truncated", `{"a": "一"`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCatalogue([]byte(tt.in))
			if tt.wantErr {
				if !errors.Is(err, ErrCatalogue) {
					t.Errorf("parseCatalogue(%s) = %v, %v; want ErrCatalogue", tt.in, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseCatalogue(%s): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseCatalogue(%s) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestT(t *testing.T) {
	zh := &Locale{info: supported[0], messages: map[string]string{
		"fee":   "手续费 {amount}，到账 {date}",
		"plain": "你好",
	}}
	en := &Locale{info: supported[1], fallback: zh, messages: map[string]string{
		"fee": "Arrives {date}; fee {amount}",
	}}
	tests := []struct {
		l    *Locale
		key  string
		args []any
		want string
	}{
		{zh, "fee", []any{"amount", "¥1.00", "date", "11月22日"}, "手续费 ¥1.00，到账 11月22日"},
		{en, "fee", []any{"amount", "$1.00", "date", "22 Nov"}, "Arrives 22 Nov; fee $1.00"}, // reordered
		{en, "fee", []any{"amount", 3}, "Arrives {date}; fee 3"},                             // missing arg left visible
		{en, "fee", []any{"amount"}, "Arrives {date}; fee {amount}"},                         // odd args
		{zh, "plain", nil, "你好"},
		{en, "plain", nil, "你好"},           // missing in en: the default language
		{zh, "nope", nil, "nope"},          // missing everywhere: the key
		{zh, "plain", []any{"x", 1}, "你好"}, // unused args
	}
	for _, tt := range tests {
		if got := tt.l.T(tt.key, tt.args...); got != tt.want {
			t.Errorf("%s.T(%q, %v) = %q, want %q", tt.l.Code(), tt.key, tt.args, got, tt.want)
		}
	}
}

func TestMatch(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		header string
		want   string // "" = no match, the caller uses the default
	}{
		{"", ""},
		{"en", En},
		{"en-US,en;q=0.9", En},
		{"en-GB", En},
		{"zh-CN,zh;q=0.9,en;q=0.8", ZhCN},
		{"zh", ZhCN},
		{"zh-TW", ZhCN},
		{"zh-Hant-HK", ZhCN},
		{"fr-FR, en;q=0.5", En},
		{"de-DE,zh;q=0.3", ZhCN},
		{"fr", ""},
		{"ja", ""},
		{"*", ""},
		{"garbage;;;q=", ""},
	}
	for _, tt := range tests {
		l, ok := c.Match(tt.header)
		got := ""
		if ok {
			got = l.Code()
		}
		if got != tt.want {
			t.Errorf("Match(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestLookup(t *testing.T) {
	c := mustLoad(t)
	for _, code := range []string{ZhCN, En} {
		if l, ok := c.Lookup(code); !ok || l.Code() != code {
			t.Errorf("Lookup(%q) = %v, %v", code, l, ok)
		}
	}
	for _, code := range []string{"", "zh", "EN", "fr", "en-US"} {
		if _, ok := c.Lookup(code); ok {
			t.Errorf("Lookup(%q) found a locale; only exact codes are accepted", code)
		}
	}
}

func TestDates(t *testing.T) {
	c := mustLoad(t)
	zh, _ := c.Lookup(ZhCN)
	en, _ := c.Lookup(En)
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 22, 6, 5, 0, 0, time.UTC).In(shanghai)
	early := time.Date(2027, 1, 3, 9, 7, 0, 0, shanghai)
	tests := []struct {
		got, want string
	}{
		{zh.DateTime(at), "2026年11月22日 14:05"},
		{en.DateTime(at), "22 Nov 2026, 14:05"},
		{zh.Date(at), "2026年11月22日"},
		{en.Date(at), "22 Nov 2026"},
		{zh.DateTime(early), "2027年1月3日 09:07"},
		{en.DateTime(early), "3 Jan 2027, 09:07"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestPlaceholders(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"no braces", nil},
		{"{a} and {b} and {a}", []string{"a", "b"}},
		{"unclosed {a", nil},
	}
	for _, tt := range tests {
		if got := Placeholders(tt.in); !cmp.Equal(got, tt.want) {
			t.Errorf("Placeholders(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestLoadLanguageMergesAreaFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"m/zh-CN/core.json":   {Data: []byte(`{"a": "甲"}`)},
		"m/zh-CN/wallet.json": {Data: []byte(`{"b": "乙"}`)},
		"m/en/core.json":      {Data: []byte(`{"a": "A"}`)},
		"m/en/wallet.json":    {Data: []byte(`{"a": "again"}`)},
	}
	msgs, err := loadLanguage(fsys, "m/zh-CN")
	if err != nil || msgs["a"] != "甲" || msgs["b"] != "乙" || len(msgs) != 2 {
		t.Fatalf("zh-CN = %v, %v; want both files merged", msgs, err)
	}
	if _, err := loadLanguage(fsys, "m/en"); !errors.Is(err, ErrCatalogue) {
		t.Fatalf("a key in two files: err = %v, want ErrCatalogue", err)
	}
	if _, err := loadLanguage(fsys, "m/fr"); err == nil {
		t.Fatal("a language without files loaded")
	}
}

// TestFor: a saved language gets its own locale; an unknown or empty one
// the platform's default, zh-CN.
func TestFor(t *testing.T) {
	for code, want := range map[string]string{"en": "en", "zh-CN": "zh-CN", "": "zh-CN", "fr": "zh-CN"} {
		l, err := For(code)
		if err != nil || l.Code() != want {
			t.Errorf("For(%q) = %v, %v; want %s", code, l, err, want)
		}
	}
}
