package qr

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"strings"
)

// QuietZone is the light border the standard asks for, in modules.
const QuietZone = 4

// Image returns the code as a grey image, scale pixels per module, with the
// quiet zone around it: (Size + 2×QuietZone) × scale pixels a side.
func (c *Code) Image(scale int) *image.Gray {
	if scale < 1 {
		scale = 1
	}
	side := (c.Size + 2*QuietZone) * scale
	img := image.NewGray(image.Rect(0, 0, side, side))
	for py := 0; py < side; py++ {
		for px := 0; px < side; px++ {
			v := uint8(255)
			if c.Dark(px/scale-QuietZone, py/scale-QuietZone) {
				v = 0
			}
			img.Pix[py*img.Stride+px] = v
		}
	}
	return img
}

// PNG returns the code as a PNG image (see Image).
func (c *Code) PNG(scale int) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, c.Image(scale)); err != nil {
		return nil, fmt.Errorf("qr: png: %w", err)
	}
	return buf.Bytes(), nil
}

// SVG returns the code as a standalone SVG document, one unit per module
// with the quiet zone, scaled to scale pixels per module. Dark modules are
// one path, so it stays small and crisp at any zoom.
func (c *Code) SVG(scale int) string {
	if scale < 1 {
		scale = 1
	}
	side := c.Size + 2*QuietZone
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="%d" height="%d" viewBox="0 0 %d %d" shape-rendering="crispEdges">`,
		side*scale, side*scale, side, side)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, side, side)
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; x++ {
			if c.Modules[y][x] {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+QuietZone, y+QuietZone)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String()
}
