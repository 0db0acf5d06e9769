package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math/bits"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The worked example of the Thonky QR tutorial: "HELLO WORLD" at 1-M.
func TestECCodewordsKnownVector(t *testing.T) {
	data := []byte{32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17}
	want := []byte{196, 35, 39, 119, 235, 215, 231, 226, 93, 23}
	if diff := cmp.Diff(want, ECCodewords(data, 10)); diff != "" {
		t.Errorf("ECCodewords (-want +got):\n%s", diff)
	}
}

func TestFormatAndVersionBits(t *testing.T) {
	for _, tc := range []struct {
		lvl  Level
		mask int
		want string
	}{
		{L, 0, "111011111000100"},
		{M, 0, "101010000010010"},
		{Q, 0, "011010101011111"},
		{H, 0, "001011010001001"},
		{L, 7, "110100101110110"},
		{M, 4, "100010111111001"},
		{H, 7, "000100000111011"},
	} {
		if got := fmt.Sprintf("%015b", FormatBits(tc.lvl, tc.mask)); got != tc.want {
			t.Errorf("FormatBits(%d, %d) = %s, want %s", tc.lvl, tc.mask, got, tc.want)
		}
	}
	for v, want := range map[int]string{7: "000111110010010100", 8: "001000010110111100", 10: "001010010011010011"} {
		if got := fmt.Sprintf("%018b", VersionBits(v)); got != want {
			t.Errorf("VersionBits(%d) = %s, want %s", v, got, want)
		}
	}
}

func TestDataCodewordsByteMode(t *testing.T) {
	// "hello" at 1-M: mode 0100, count 00000101, the bytes, terminator,
	// then pad bytes 0xEC 0x11 alternately up to 16 codewords.
	got := DataCodewords([]byte("hello"), 1, M)
	want := []byte{0x40, 0x56, 0x86, 0x56, 0xC6, 0xC6, 0xF0, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DataCodewords (-want +got):\n%s", diff)
	}
}

func TestCapacityAndVersions(t *testing.T) {
	for _, tc := range []struct {
		n    int
		lvl  Level
		want int
	}{
		{14, M, 1}, {15, M, 2}, {17, L, 1}, {18, L, 2}, {7, H, 1},
		{84, M, 5}, {85, M, 6}, {106, M, 6}, {107, M, 7}, {152, M, 8}, {153, M, 9}, {213, M, 10}, {271, L, 10},
	} {
		c, err := Encode(bytes.Repeat([]byte("a"), tc.n), tc.lvl)
		if err != nil {
			t.Fatalf("Encode %d bytes: %v", tc.n, err)
		}
		if c.Version != tc.want || c.Size != 17+4*tc.want {
			t.Errorf("%d bytes at %d: version %d size %d, want version %d", tc.n, tc.lvl, c.Version, c.Size, tc.want)
		}
	}
	if _, err := Encode(make([]byte, 214), M); !errors.Is(err, ErrTooLong) {
		t.Errorf("214 bytes at M: %v, want ErrTooLong", err)
	}
	if _, err := Encode(nil, Level(9)); !errors.Is(err, ErrInvalidLevel) {
		t.Errorf("level 9: %v, want ErrInvalidLevel", err)
	}
}

// TestStructure checks the fixed patterns against the standard directly,
// not through the encoder's own drawing code.
func TestStructure(t *testing.T) {
	for v := 1; v <= MaxVersion; v++ {
		c := encodeVersion([]byte("x"), v, M, -1)
		n := c.Size
		finder := []string{
			"#######",
			"#.....#",
			"#.###.#",
			"#.###.#",
			"#.###.#",
			"#.....#",
			"#######",
		}
		for _, o := range [][2]int{{0, 0}, {n - 7, 0}, {0, n - 7}} {
			for y, row := range finder {
				for x, ch := range row {
					if c.Dark(o[0]+x, o[1]+y) != (ch == '#') {
						t.Fatalf("v%d: finder at %v wrong at (%d,%d)", v, o, x, y)
					}
				}
			}
			for i := -1; i <= 7; i++ { // separators
				for _, p := range [][2]int{{o[0] + i, o[1] - 1}, {o[0] + i, o[1] + 7}, {o[0] - 1, o[1] + i}, {o[0] + 7, o[1] + i}} {
					if c.Dark(p[0], p[1]) {
						t.Fatalf("v%d: separator module %v dark", v, p)
					}
				}
			}
		}
		for i := 8; i < n-8; i++ {
			if c.Dark(i, 6) != (i%2 == 0) || c.Dark(6, i) != (i%2 == 0) {
				t.Fatalf("v%d: timing pattern wrong at %d", v, i)
			}
		}
		if !c.Dark(8, n-8) {
			t.Errorf("v%d: dark module light", v)
		}
		if v >= 2 { // the bottom-right alignment pattern
			a := n - 7
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					if c.Dark(a+dx, a+dy) != (max(abs(dx), abs(dy)) != 1) {
						t.Fatalf("v%d: alignment pattern wrong at (%d,%d)", v, dx, dy)
					}
				}
			}
		}
		// Format information: row 8 left to right, then column 8
		// bottom to top, hold the 15 bits most significant first.
		want := fmt.Sprintf("%015b", FormatBits(M, c.Mask))
		var first, second strings.Builder
		for x := 0; x <= 8; x++ {
			if x != 6 {
				first.WriteString(bit(c.Dark(x, 8)))
			}
		}
		for y := 7; y >= 0; y-- {
			if y != 6 {
				first.WriteString(bit(c.Dark(8, y)))
			}
		}
		for y := n - 1; y >= n-7; y-- {
			second.WriteString(bit(c.Dark(8, y)))
		}
		for x := n - 8; x < n; x++ {
			second.WriteString(bit(c.Dark(x, 8)))
		}
		if first.String() != want || second.String() != want {
			t.Errorf("v%d: format %s / %s, want %s", v, first.String(), second.String(), want)
		}
		if v >= 7 { // version information, bit 0 at the top-right block's corner
			vb := VersionBits(v)
			for i := 0; i < 18; i++ {
				want := vb>>i&1 == 1
				if c.Dark(n-11+i%3, i/3) != want || c.Dark(i/3, n-11+i%3) != want {
					t.Fatalf("v%d: version bit %d wrong", v, i)
				}
			}
		}
	}
}

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func TestRoundTripThroughPNG(t *testing.T) {
	uri := "otpauth://totp/OKPay:alice%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=OKPay&algorithm=SHA1&digits=6&period=30"
	inputs := [][]byte{[]byte("hello"), []byte(uri), bytes.Repeat([]byte{0xff, 0x00, 0x7f}, 40), []byte("二维码")}
	for _, in := range inputs {
		for lvl := L; lvl <= H; lvl++ {
			c, err := Encode(in, lvl)
			if errors.Is(err, ErrTooLong) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			// Every mask must decode, not only the chosen one.
			for m := 0; m < 8; m++ {
				cm := encodeVersion(in, c.Version, lvl, m)
				got, err := decode(cm.Modules)
				if err != nil || !bytes.Equal(got, in) {
					t.Fatalf("decode v%d lvl %d mask %d = %q, %v; want %q", c.Version, lvl, m, got, err, in)
				}
			}
			const scale = 3
			p, err := c.PNG(scale)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(p))
			if err != nil {
				t.Fatalf("png.Decode: %v", err)
			}
			side := (c.Size + 2*QuietZone) * scale
			if b := img.Bounds(); b.Dx() != side || b.Dy() != side {
				t.Fatalf("png is %v, want %d×%d", b, side, side)
			}
			got, err := decode(sample(img, c.Size, scale))
			if err != nil || !bytes.Equal(got, in) {
				t.Errorf("decode png = %q, %v; want %q", got, err, in)
			}
		}
	}
}

func TestSVG(t *testing.T) {
	c, err := Encode([]byte("hello"), M)
	if err != nil {
		t.Fatal(err)
	}
	s := c.SVG(4)
	if !strings.HasPrefix(s, `<svg xmlns="http://www.w3.org/2000/svg"`) || !strings.HasSuffix(s, "</svg>") {
		t.Fatalf("not an svg document: %.80s", s)
	}
	if !strings.Contains(s, `width="116"`) || !strings.Contains(s, `viewBox="0 0 29 29"`) {
		t.Errorf("svg size wrong: %.200s", s)
	}
	dark := 0
	for _, row := range c.Modules {
		for _, d := range row {
			if d {
				dark++
			}
		}
	}
	if got := strings.Count(s, "h1v1h-1z"); got != dark {
		t.Errorf("svg has %d dark squares, want %d", got, dark)
	}
}

// sample reads the module matrix back from a rendered image at module
// centres.
func sample(img image.Image, size, scale int) [][]bool {
	m := make([][]bool, size)
	for y := range m {
		m[y] = make([]bool, size)
		for x := range m[y] {
			r, _, _, _ := img.At((x+QuietZone)*scale+scale/2, (y+QuietZone)*scale+scale/2).RGBA()
			m[y][x] = r < 0x8000
		}
	}
	return m
}

// decode is a small decoder for tests: it reads the format information
// (nearest valid word), unmasks, reads the codewords in zigzag order,
// de-interleaves, checks every block's Reed–Solomon syndromes are zero and
// parses one byte-mode segment.
func decode(mod [][]bool) ([]byte, error) {
	n := len(mod)
	v := (n - 17) / 4
	if v < 1 || v > MaxVersion || 17+4*v != n {
		return nil, fmt.Errorf("size %d", n)
	}
	read := 0
	for i := 0; i <= 5; i++ {
		read = read<<1 | b2i(mod[8][i])
	}
	read = read<<1 | b2i(mod[8][7])
	read = read<<1 | b2i(mod[8][8])
	read = read<<1 | b2i(mod[7][8])
	for y := 5; y >= 0; y-- {
		read = read<<1 | b2i(mod[y][8])
	}
	lvl, mask, best := Level(0), 0, 99
	for l := L; l <= H; l++ {
		for m := 0; m < 8; m++ {
			if d := bits.OnesCount(uint(read ^ FormatBits(l, m))); d < best {
				lvl, mask, best = l, m, d
			}
		}
	}
	if best > 3 {
		return nil, fmt.Errorf("format information unreadable")
	}
	fn := newCode(v, lvl).drawFunctionPatterns()
	s := blocks[v][lvl]
	total := s.dataCodewords() + (s.n1+s.n2)*s.ec
	cw := make([]byte, total)
	i := 0
	for _, p := range zigzag(n, fn) {
		if i >= total*8 {
			break
		}
		d := mod[p[1]][p[0]] != maskBit(mask, p[0], p[1])
		if d {
			cw[i/8] |= 0x80 >> (i % 8)
		}
		i++
	}
	nb := s.n1 + s.n2
	blk := make([][]byte, nb)
	k := 0
	for j := 0; j < max(s.d1, s.d2); j++ {
		for b := 0; b < nb; b++ {
			if b < s.n1 && j < s.d1 || b >= s.n1 && j < s.d2 {
				blk[b] = append(blk[b], cw[k])
				k++
			}
		}
	}
	var data []byte
	for _, b := range blk {
		data = append(data, b...)
	}
	for j := 0; j < s.ec; j++ {
		for b := 0; b < nb; b++ {
			blk[b] = append(blk[b], cw[k])
			k++
		}
	}
	for b, block := range blk {
		for r := 0; r < s.ec; r++ { // syndrome S_r = C(α^r)
			var sum byte
			for _, c := range block {
				sum = gfMul(sum, gfExp[r]) ^ c
			}
			if sum != 0 {
				return nil, fmt.Errorf("block %d: syndrome %d nonzero", b, r)
			}
		}
	}
	if data[0]>>4 != 0b0100 {
		return nil, fmt.Errorf("mode %04b, want byte", data[0]>>4)
	}
	pos := 4
	get := func(nbits int) int {
		x := 0
		for ; nbits > 0; nbits-- {
			x = x<<1 | int(data[pos/8]>>(7-pos%8)&1)
			pos++
		}
		return x
	}
	cbits := 8
	if v >= 10 {
		cbits = 16
	}
	count := get(cbits)
	if pos+8*count > 8*len(data) {
		return nil, fmt.Errorf("count %d too long", count)
	}
	out := make([]byte, count)
	for j := range out {
		out[j] = byte(get(8))
	}
	return out, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
