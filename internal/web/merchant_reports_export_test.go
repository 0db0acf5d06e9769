package web

import "github.com/okpay/okpay/internal/apikey"

// ChartForTest renders a chart of bars and an optional line (nil: none)
// for the chart tests.
func ChartForTest(id, title, desc string, labels []string, bars [][]int64, line []int64) string {
	c := svgChart{ID: id, Title: title, Desc: desc, Labels: labels}
	for i, b := range bars {
		c.Bars = append(c.Bars, svgSeries{Name: "series " + string(rune('A'+i)), Values: b, Class: "s", Color: "#000"})
	}
	if line != nil {
		c.Line = &svgSeries{Name: "line", Values: line, Class: "l", Color: "#111"}
	}
	return string(c.SVG())
}

// APIKeysForTest is the site's key service.
func (s *Site) APIKeysForTest() *apikey.Service { return s.apiKeys }

// PayoutRefusalKeys are the message keys of the payout refusals, for the
// catalogue test.
var PayoutRefusalKeys = payoutErrorKeys

// PayoutStatusKeys are the message keys of the payout statuses and
// failures.
func PayoutStatusKeys() []string {
	var out []string
	for _, k := range payoutStatusKeys {
		out = append(out, k)
	}
	for _, k := range payoutFailureKeys {
		out = append(out, k)
	}
	return out
}
