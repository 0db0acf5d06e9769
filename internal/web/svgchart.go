package web

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// A small chart renderer of our own: grouped bars (and, optionally, one
// line) over labelled categories, drawn as inline SVG on the server, so
// the report pages need no script and no chart library. The chart carries
// <title> and <desc> (named by aria-labelledby) for screen readers, every
// text is escaped, the font stack prefers CJK fonts so Chinese labels
// render, and a chart of all zeros (or no data) draws a flat axis rather
// than NaN coordinates.

// svgSeries is one series: a value per category, in minor units.
type svgSeries struct {
	Name   string
	Values []int64
	// Class names the series for stylesheets and tests; Color fills it.
	Class string
	Color string
}

// svgChart is a bar chart with an optional line.
type svgChart struct {
	ID     string // unique on the page; prefixes the title and desc ids
	Title  string
	Desc   string
	Labels []string // one per category (the x axis)
	Bars   []svgSeries
	Line   *svgSeries
	// Tick formats an axis value (minor units) for its label.
	Tick func(int64) string
}

const (
	svgWidth   = 720
	svgHeight  = 280
	svgLeft    = 84
	svgRight   = 12
	svgTop     = 16
	svgBottom  = 64
	svgFont    = `'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Hiragino Sans GB','Microsoft YaHei','WenQuanYi Micro Hei',sans-serif`
	svgMaxXLab = 10
)

// niceStep is a round step (1, 2 or 5 times a power of ten) at least span/n.
func niceStep(span float64, n int) float64 {
	if span <= 0 || math.IsNaN(span) || math.IsInf(span, 0) {
		return 1
	}
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// num writes a coordinate with one decimal, never NaN or Inf.
func num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		f = 0
	}
	return strconv.FormatFloat(f, 'f', 1, 64)
}

func esc(s string) string { return html.EscapeString(s) }

// SVG renders the chart.
func (c svgChart) SVG() template.HTML {
	tick := c.Tick
	if tick == nil {
		tick = func(v int64) string { return strconv.FormatInt(v, 10) }
	}
	lo, hi := int64(0), int64(0)
	all := append([]svgSeries(nil), c.Bars...)
	if c.Line != nil {
		all = append(all, *c.Line)
	}
	for _, s := range all {
		for _, v := range s.Values {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	step := niceStep(float64(hi-lo), 4)
	yMin := math.Floor(float64(lo)/step) * step
	yMax := math.Ceil(float64(hi)/step) * step
	if yMax <= yMin {
		yMax = yMin + step
	}
	plotW := float64(svgWidth - svgLeft - svgRight)
	plotH := float64(svgHeight - svgTop - svgBottom)
	y := func(v float64) float64 { return svgTop + plotH*(1-(v-yMin)/(yMax-yMin)) }
	n := len(c.Labels)
	band := plotW / float64(max(n, 1))

	var b strings.Builder
	tid, did := c.ID+"-title", c.ID+"-desc"
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="%s" viewBox="0 0 %d %d" role="img" aria-labelledby="%s %s" font-family="%s" font-size="12">`,
		esc(c.ID), svgWidth, svgHeight, esc(tid), esc(did), esc(svgFont))
	fmt.Fprintf(&b, `<title id="%s">%s</title><desc id="%s">%s</desc>`, esc(tid), esc(c.Title), esc(did), esc(c.Desc))
	// Grid and y labels.
	for v := yMin; v <= yMax+step/2; v += step {
		yy := y(v)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%s" y2="%s" stroke="#ddd"/>`, svgLeft, svgWidth-svgRight, num(yy), num(yy))
		fmt.Fprintf(&b, `<text class="ylabel" x="%d" y="%s" text-anchor="end" dominant-baseline="middle" fill="#444">%s</text>`,
			svgLeft-6, num(yy), esc(tick(int64(math.Round(v)))))
	}
	// Bars.
	groups := max(len(c.Bars), 1)
	barW := band * 0.8 / float64(groups)
	zero := y(0)
	for si, s := range c.Bars {
		for i, v := range s.Values {
			if i >= n {
				break
			}
			x := svgLeft + band*float64(i) + band*0.1 + barW*float64(si)
			top, h := y(float64(v)), zero-y(float64(v))
			if h < 0 {
				top, h = zero, -h
			}
			fmt.Fprintf(&b, `<rect class="bar %s" fill="%s" x="%s" y="%s" width="%s" height="%s"><title>%s</title></rect>`,
				esc(s.Class), esc(s.Color), num(x), num(top), num(math.Max(barW-1, 1)), num(h), esc(c.Labels[i]+" · "+s.Name+": "+tick(v)))
		}
	}
	// Line.
	if c.Line != nil && n > 0 {
		var pts []string
		for i, v := range c.Line.Values {
			if i >= n {
				break
			}
			pts = append(pts, num(svgLeft+band*(float64(i)+0.5))+","+num(y(float64(v))))
		}
		fmt.Fprintf(&b, `<polyline class="line %s" fill="none" stroke="%s" stroke-width="2" points="%s"/>`, esc(c.Line.Class), esc(c.Line.Color), strings.Join(pts, " "))
	}
	// Zero axis.
	fmt.Fprintf(&b, `<line class="axis" x1="%d" x2="%d" y1="%s" y2="%s" stroke="#333"/>`, svgLeft, svgWidth-svgRight, num(zero), num(zero))
	// X labels: at most svgMaxXLab, evenly spaced, the last always shown.
	every := max(1, (n+svgMaxXLab-1)/svgMaxXLab)
	for i, l := range c.Labels {
		// The last label always shows; a thinned one too close to it not.
		if i != n-1 && (i%every != 0 || n-1-i < every) {
			continue
		}
		fmt.Fprintf(&b, `<text class="xlabel" x="%s" y="%d" text-anchor="middle" fill="#444">%s</text>`,
			num(svgLeft+band*(float64(i)+0.5)), svgHeight-svgBottom+16, esc(l))
	}
	// Legend.
	lx := float64(svgLeft)
	for _, s := range all {
		fmt.Fprintf(&b, `<rect class="key %s" fill="%s" x="%s" y="%d" width="12" height="12"/>`, esc(s.Class), esc(s.Color), num(lx), svgHeight-24)
		fmt.Fprintf(&b, `<text class="legend" x="%s" y="%d" fill="#222">%s</text>`, num(lx+16), svgHeight-14, esc(s.Name))
		lx += 24 + 12*float64(len([]rune(s.Name))) + 16
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text above is escaped
}
