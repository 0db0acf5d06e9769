// Package qr encodes QR codes (ISO/IEC 18004) written by the project: byte
// mode, error correction levels L, M, Q and H, versions 1 to 10 (up to 271
// bytes at level L, 213 at M: enough for an otpauth:// URI), rendered as PNG
// or SVG.
//
// Invariants it keeps: the smallest version that holds the data at the
// asked level is used; of the eight masks the one with the lowest ISO
// penalty score is applied; every code carries its format information twice
// and, from version 7, its version information twice.
package qr

import (
	"errors"
	"fmt"
)

// Errors returned by the package.
var (
	// ErrTooLong: the data does not fit in version 10 at the asked level.
	ErrTooLong = errors.New("qr: data too long")
	// ErrInvalidLevel: not one of L, M, Q, H.
	ErrInvalidLevel = errors.New("qr: invalid error correction level")
)

// Level is an error correction level.
type Level int

// The error correction levels, weakest first: L recovers about 7% of the
// codewords, M 15%, Q 25%, H 30%.
const (
	L Level = iota
	M
	Q
	H
)

// formatBits are the two bits each level has in the format information.
var formatBits = [4]int{L: 1, M: 0, Q: 3, H: 2}

// MaxVersion is the largest version Encode makes.
const MaxVersion = 10

// blockSpec describes the error correction blocks of a version and level:
// ec codewords per block, then count and data codewords of the first and
// second group of blocks (ISO/IEC 18004 table 9).
type blockSpec struct{ ec, n1, d1, n2, d2 int }

var blocks = [MaxVersion + 1][4]blockSpec{
	1:  {{7, 1, 19, 0, 0}, {10, 1, 16, 0, 0}, {13, 1, 13, 0, 0}, {17, 1, 9, 0, 0}},
	2:  {{10, 1, 34, 0, 0}, {16, 1, 28, 0, 0}, {22, 1, 22, 0, 0}, {28, 1, 16, 0, 0}},
	3:  {{15, 1, 55, 0, 0}, {26, 1, 44, 0, 0}, {18, 2, 17, 0, 0}, {22, 2, 13, 0, 0}},
	4:  {{20, 1, 80, 0, 0}, {18, 2, 32, 0, 0}, {26, 2, 24, 0, 0}, {16, 4, 9, 0, 0}},
	5:  {{26, 1, 108, 0, 0}, {24, 2, 43, 0, 0}, {18, 2, 15, 2, 16}, {22, 2, 11, 2, 12}},
	6:  {{18, 2, 68, 0, 0}, {16, 4, 27, 0, 0}, {24, 4, 19, 0, 0}, {28, 4, 15, 0, 0}},
	7:  {{20, 2, 78, 0, 0}, {18, 4, 31, 0, 0}, {18, 2, 14, 4, 15}, {26, 4, 13, 1, 14}},
	8:  {{24, 2, 97, 0, 0}, {22, 2, 38, 2, 39}, {22, 4, 18, 2, 19}, {26, 4, 14, 2, 15}},
	9:  {{30, 2, 116, 0, 0}, {22, 3, 36, 2, 37}, {20, 4, 16, 4, 17}, {24, 4, 12, 4, 13}},
	10: {{18, 2, 68, 2, 69}, {26, 4, 43, 1, 44}, {24, 6, 19, 2, 20}, {28, 6, 15, 2, 16}},
}

// alignment lists the alignment pattern centres of each version.
var alignment = [MaxVersion + 1][]int{
	2: {6, 18}, 3: {6, 22}, 4: {6, 26}, 5: {6, 30}, 6: {6, 34},
	7: {6, 22, 38}, 8: {6, 24, 42}, 9: {6, 26, 46}, 10: {6, 28, 50},
}

func (b blockSpec) dataCodewords() int { return b.n1*b.d1 + b.n2*b.d2 }

// Code is an encoded QR code: a square of modules, true for dark.
type Code struct {
	Version int
	Level   Level
	Mask    int
	Size    int      // modules per side: 17 + 4×Version
	Modules [][]bool // [row][column]
}

// Dark reports whether the module at row y, column x is dark; outside the
// symbol (the quiet zone) is light.
func (c *Code) Dark(x, y int) bool {
	if x < 0 || y < 0 || x >= c.Size || y >= c.Size {
		return false
	}
	return c.Modules[y][x]
}

// Encode encodes data in byte mode at level lvl, in the smallest version
// that holds it. Errors: ErrTooLong, ErrInvalidLevel.
func Encode(data []byte, lvl Level) (*Code, error) {
	if lvl < L || lvl > H {
		return nil, ErrInvalidLevel
	}
	for v := 1; v <= MaxVersion; v++ {
		countBits := 8
		if v >= 10 {
			countBits = 16
		}
		if 4+countBits+8*len(data) <= 8*blocks[v][lvl].dataCodewords() {
			return encodeVersion(data, v, lvl, -1), nil
		}
	}
	return nil, fmt.Errorf("%w: %d bytes", ErrTooLong, len(data))
}

// encodeVersion builds the code; mask -1 picks the best mask.
func encodeVersion(data []byte, v int, lvl Level, mask int) *Code {
	cw := interleave(DataCodewords(data, v, lvl), v, lvl)
	c := newCode(v, lvl)
	fn := c.drawFunctionPatterns()
	c.drawCodewords(cw, fn)
	if mask < 0 {
		best := -1
		for m := 0; m < 8; m++ {
			c.applyMask(m, fn)
			c.drawFormat(m)
			if p := c.penalty(); best < 0 || p < best {
				best, mask = p, m
			}
			c.applyMask(m, fn) // undo: XOR twice
		}
	}
	c.applyMask(mask, fn)
	c.drawFormat(mask)
	c.Mask = mask
	return c
}

// DataCodewords returns the data codewords of data in byte mode for version
// v at level lvl: mode, count, bytes, terminator and pad bytes, before
// error correction. It panics when data does not fit.
func DataCodewords(data []byte, v int, lvl Level) []byte {
	var bb bitBuffer
	bb.put(0b0100, 4)
	if v >= 10 {
		bb.put(len(data), 16)
	} else {
		bb.put(len(data), 8)
	}
	for _, b := range data {
		bb.put(int(b), 8)
	}
	capBits := 8 * blocks[v][lvl].dataCodewords()
	if bb.n > capBits {
		panic("qr: data does not fit")
	}
	bb.put(0, min(4, capBits-bb.n))
	bb.put(0, (8-bb.n%8)%8)
	for pad := 0; bb.n < capBits; pad ^= 1 {
		bb.put([]int{0xEC, 0x11}[pad], 8)
	}
	return bb.b
}

type bitBuffer struct {
	b []byte
	n int
}

func (bb *bitBuffer) put(v, bits int) {
	for i := bits - 1; i >= 0; i-- {
		if bb.n%8 == 0 {
			bb.b = append(bb.b, 0)
		}
		if v>>i&1 == 1 {
			bb.b[bb.n/8] |= 0x80 >> (bb.n % 8)
		}
		bb.n++
	}
}

// interleave splits data into blocks, appends each block's error
// correction codewords and interleaves them as the symbol stores them.
func interleave(data []byte, v int, lvl Level) []byte {
	s := blocks[v][lvl]
	var dataBlocks, ecBlocks [][]byte
	off := 0
	for i := 0; i < s.n1+s.n2; i++ {
		n := s.d1
		if i >= s.n1 {
			n = s.d2
		}
		d := data[off : off+n]
		off += n
		dataBlocks = append(dataBlocks, d)
		ecBlocks = append(ecBlocks, ECCodewords(d, s.ec))
	}
	var out []byte
	for i := 0; i < max(s.d1, s.d2); i++ {
		for _, d := range dataBlocks {
			if i < len(d) {
				out = append(out, d[i])
			}
		}
	}
	for i := 0; i < s.ec; i++ {
		for _, e := range ecBlocks {
			out = append(out, e[i])
		}
	}
	return out
}

func newCode(v int, lvl Level) *Code {
	size := 17 + 4*v
	c := &Code{Version: v, Level: lvl, Size: size, Modules: make([][]bool, size)}
	for i := range c.Modules {
		c.Modules[i] = make([]bool, size)
	}
	return c
}

// drawFunctionPatterns draws finders, separators, timing, alignment, the
// dark module and version information, reserves the format areas, and
// returns which modules are function modules.
func (c *Code) drawFunctionPatterns() [][]bool {
	n := c.Size
	fn := make([][]bool, n)
	for i := range fn {
		fn[i] = make([]bool, n)
	}
	set := func(x, y int, dark bool) {
		c.Modules[y][x] = dark
		fn[y][x] = true
	}
	for i := 0; i < n; i++ {
		set(6, i, i%2 == 0)
		set(i, 6, i%2 == 0)
	}
	finder := func(cx, cy int) {
		for dy := -4; dy <= 4; dy++ {
			for dx := -4; dx <= 4; dx++ {
				x, y := cx+dx, cy+dy
				if x < 0 || y < 0 || x >= n || y >= n {
					continue
				}
				d := max(abs(dx), abs(dy))
				set(x, y, d != 2 && d != 4)
			}
		}
	}
	finder(3, 3)
	finder(n-4, 3)
	finder(3, n-4)
	al := alignment[c.Version]
	for i, ay := range al {
		for j, ax := range al {
			if (i == 0 && j == 0) || (i == 0 && j == len(al)-1) || (i == len(al)-1 && j == 0) {
				continue // overlaps a finder
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					set(ax+dx, ay+dy, max(abs(dx), abs(dy)) != 1)
				}
			}
		}
	}
	// Reserve the format areas now; drawFormat fills them.
	for i := 0; i < 9; i++ {
		fn[8][i], fn[i][8] = true, true
	}
	for i := 0; i < 8; i++ {
		fn[8][n-1-i], fn[n-1-i][8] = true, true
	}
	set(8, n-8, true) // the dark module
	if c.Version >= 7 {
		bits := VersionBits(c.Version)
		for i := 0; i < 18; i++ {
			dark := bits>>i&1 == 1
			a, b := n-11+i%3, i/3
			set(a, b, dark)
			set(b, a, dark)
		}
	}
	return fn
}

// FormatBits returns the 15-bit format information of a level and mask:
// BCH(15,5) protected and XORed with 101010000010010.
func FormatBits(lvl Level, mask int) int {
	d := formatBits[lvl]<<3 | mask
	r := d
	for i := 0; i < 10; i++ {
		r = r<<1 ^ (r>>9)*0x537
	}
	return (d<<10 | r) ^ 0x5412
}

// VersionBits returns the 18-bit version information (versions 7 and up).
func VersionBits(v int) int {
	r := v
	for i := 0; i < 12; i++ {
		r = r<<1 ^ (r>>11)*0x1F25
	}
	return v<<12 | r
}

// drawFormat writes the format information of mask in both places. Bit 0
// is the least significant bit of FormatBits.
func (c *Code) drawFormat(mask int) {
	bits := FormatBits(c.Level, mask)
	n := c.Size
	bit := func(i int) bool { return bits>>i&1 == 1 }
	for i := 0; i <= 5; i++ {
		c.Modules[i][8] = bit(i)
	}
	c.Modules[7][8] = bit(6)
	c.Modules[8][8] = bit(7)
	c.Modules[8][7] = bit(8)
	for i := 9; i < 15; i++ {
		c.Modules[8][14-i] = bit(i)
	}
	for i := 0; i < 8; i++ {
		c.Modules[8][n-1-i] = bit(i)
	}
	for i := 8; i < 15; i++ {
		c.Modules[n-15+i][8] = bit(i)
	}
	c.Modules[n-8][8] = true
}

// drawCodewords places the bits in the zigzag order: two-module columns
// from the right, alternately upwards and downwards, skipping column 6 and
// the function modules. Remainder modules stay light.
func (c *Code) drawCodewords(cw []byte, fn [][]bool) {
	i := 0
	for _, p := range zigzag(c.Size, fn) {
		if i < len(cw)*8 {
			c.Modules[p[1]][p[0]] = cw[i/8]>>(7-i%8)&1 == 1
			i++
		}
	}
}

// zigzag lists the data module positions (x, y) in placement order.
func zigzag(n int, fn [][]bool) [][2]int {
	var out [][2]int
	for right := n - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		upward := (right+1)&2 == 0
		for vert := 0; vert < n; vert++ {
			y := vert
			if upward {
				y = n - 1 - vert
			}
			for j := 0; j < 2; j++ {
				x := right - j
				if !fn[y][x] {
					out = append(out, [2]int{x, y})
				}
			}
		}
	}
	return out
}

// maskBit reports whether mask m inverts the module at column x, row y.
func maskBit(m, x, y int) bool {
	switch m {
	case 0:
		return (x+y)%2 == 0
	case 1:
		return y%2 == 0
	case 2:
		return x%3 == 0
	case 3:
		return (x+y)%3 == 0
	case 4:
		return (x/3+y/2)%2 == 0
	case 5:
		return x*y%2+x*y%3 == 0
	case 6:
		return (x*y%2+x*y%3)%2 == 0
	default:
		return ((x+y)%2+x*y%3)%2 == 0
	}
}

func (c *Code) applyMask(m int, fn [][]bool) {
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; x++ {
			if !fn[y][x] && maskBit(m, x, y) {
				c.Modules[y][x] = !c.Modules[y][x]
			}
		}
	}
}

// penalty scores the symbol by the four rules of ISO/IEC 18004 7.8.3.
func (c *Code) penalty() int {
	n := c.Size
	score := 0
	line := make([]bool, n)
	for dir := 0; dir < 2; dir++ {
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				if dir == 0 {
					line[j] = c.Modules[i][j]
				} else {
					line[j] = c.Modules[j][i]
				}
			}
			score += linePenalty(line)
		}
	}
	dark := 0
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			d := c.Modules[y][x]
			if d {
				dark++
			}
			if x < n-1 && y < n-1 && d == c.Modules[y][x+1] && d == c.Modules[y+1][x] && d == c.Modules[y+1][x+1] {
				score += 3
			}
		}
	}
	total := n * n
	// 10 points for each full 5% the dark share is away from 50%.
	k := abs(dark*20-total*10) / total
	return score + 10*k
}

// linePenalty scores one row or column: runs of five or more (rule 1) and
// the finder-like 1:1:3:1:1 pattern with four light modules on a side
// (rule 3).
func linePenalty(line []bool) int {
	score := 0
	run := 1
	for i := 1; i <= len(line); i++ {
		if i < len(line) && line[i] == line[i-1] {
			run++
			continue
		}
		if run >= 5 {
			score += 3 + run - 5
		}
		run = 1
	}
	pattern := []bool{true, false, true, true, true, false, true}
	at := func(i int) bool { return i >= 0 && i < len(line) && line[i] }
	for i := 0; i+7 <= len(line); i++ {
		ok := true
		for j, p := range pattern {
			if line[i+j] != p {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		before, after := true, true
		for j := 1; j <= 4; j++ {
			if at(i - j) {
				before = false
			}
			if at(i + 6 + j) {
				after = false
			}
		}
		if before {
			score += 40
		}
		if after {
			score += 40
		}
	}
	return score
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
