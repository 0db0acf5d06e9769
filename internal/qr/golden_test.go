package qr

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Known-good symbols from the test suite of Project Nayuki's QR Code
// generator (MIT License), an independent, widely used encoder: byte mode,
// the level and mask it reports. X is dark.
var golden = []struct {
	text  string
	level Level
	mask  int
	rows  []string
}{
	{"The quick brown fox jumps", Q, 7, []string{
		"XXXXXXX X X XXX     X XXXXXXX",
		"X     X   X XXXX    X X     X",
		"X XXX X XXX      XX   X XXX X",
		"X XXX X X  XX XX  XX  X XXX X",
		"X XXX X   X  X X X    X XXX X",
		"X     X XX   XX  XXXX X     X",
		"XXXXXXX X X X X X X X XXXXXXX",
		"        X X X  X             ",
		" X X XXXX   XXXX X   XXX XX X",
		" XXX   XXXXXXXXX X XXXX   XXX",
		"  XX  X XXX  XXX XX XX XX  X ",
		"XX   X   XXXX  X       X  XX ",
		"X   X XX X XXXX XX XXXXX X XX",
		" X X    X   X   XX X X    XX ",
		"X X XXX   X   X XXX XX  X  XX",
		"X X    XX XXX X XXX    X   XX",
		"XX   XX X  X XX   X XX X X X ",
		"  XXX    XXXX XXXXXXX XX X   ",
		"X   XXX     X XXXX        XXX",
		"  XXXX   X  XX   XXX  XXX   X",
		"X  X  X   X X XXX   XXXXX X  ",
		"        XX X XX   XXX   X  XX",
		"XXXXXXX X    X   X  X X X XX ",
		"X     X XX   X  XX  X   XXXX ",
		"X XXX X   XXXXXX    XXXXX   X",
		"X XXX X XXXX X XXX XX X X   X",
		"X XXX X   XX            X   X",
		"X     X X  X XXX XX XX X   X ",
		"XXXXXXX  X   XX  X  X   XX X ",
	}},
	{"😀 € éñ 💩", Q, 7, []string{
		"XXXXXXX X  X XXXX XXXXXXX",
		"X     X   X X   X X     X",
		"X XXX X X X X XXX X XXX X",
		"X XXX X X X XX XX X XXX X",
		"X XXX X  X  X X   X XXX X",
		"X     X X  XX   X X     X",
		"XXXXXXX X X X X X XXXXXXX",
		"        X  X X           ",
		" X X XXXX  XX XX XXX XX X",
		"XXX X   XX   X X X  XXX  ",
		" X X  XXXX  XXXX  XXX    ",
		" X  X    XX XX X XXXXXXXX",
		"   XXXXX X XX X       XX ",
		" X  XX X   X XX  XX  XX  ",
		"X XX XX XXX  X XXX    XX ",
		" X X X XX XXX XX    XX X ",
		"XX  X X X  XXXX XXXXX X X",
		"        XX  XX XX   XX XX",
		"XXXXXXX XXX  X XX X X XX ",
		"X     X X XX XXXX   X  XX",
		"X XXX X  XXXX X XXXXX  XX",
		"X XXX X X XX XX   XXXX   ",
		"X XXX X    XXX    XX  X X",
		"X     X X  X  X X  X XX  ",
		"XXXXXXX  X   X   X  X XXX",
	}},
}

func rows(c *Code) []string {
	var out []string
	for _, r := range c.Modules {
		var b strings.Builder
		for _, d := range r {
			if d {
				b.WriteByte('X')
			} else {
				b.WriteByte(' ')
			}
		}
		out = append(out, b.String())
	}
	return out
}

func TestGoldenSymbols(t *testing.T) {
	for _, g := range golden {
		c, err := Encode([]byte(g.text), g.level)
		if err != nil {
			t.Fatal(err)
		}
		if c.Size != len(g.rows) {
			t.Fatalf("%q: size %d, want %d", g.text, c.Size, len(g.rows))
		}
		forced := encodeVersion([]byte(g.text), c.Version, g.level, g.mask)
		if diff := cmp.Diff(g.rows, rows(forced)); diff != "" {
			t.Errorf("%q with mask %d (-want +got):\n%s", g.text, g.mask, diff)
		}
		if c.Mask != g.mask {
			t.Errorf("%q: penalty chose mask %d, want %d", g.text, c.Mask, g.mask)
		}
	}
}
