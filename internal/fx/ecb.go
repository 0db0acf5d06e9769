package fx

import (
	"cmp"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/money"
)

// MaxFileSize bounds the rates file ParseECB reads. The ECB's complete
// history since 1999 is about 7 MB; anything far larger is not a rates file.
const MaxFileSize = 64 << 20

// ParseError is a rates file refused by ParseECB. It matches ErrMalformed
// and unwraps to the cause, when there is one (money.ErrInvalidRate for a
// bad rate).
type ParseError struct {
	// Line and Column locate the problem (1-based; 0 when unknown).
	Line, Column int
	// Element is the element involved, as written in the file
	// (`<Cube currency="USD" rate="x">`), or "".
	Element string
	// Msg says what is wrong.
	Msg string
	// Err is the underlying error, or nil.
	Err error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("fx: malformed rates file")
	if e.Line > 0 {
		fmt.Fprintf(&b, " at line %d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ", column %d", e.Column)
		}
	}
	if e.Element != "" {
		b.WriteString(" in ")
		b.WriteString(e.Element)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Is makes every ParseError match ErrMalformed.
func (e *ParseError) Is(target error) bool { return target == ErrMalformed }

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// ParseECB reads the European Central Bank's euro foreign exchange reference
// rates in their XML layout: a gesmes:Envelope holding one Cube, which holds
// one Cube per day (time="YYYY-MM-DD"), each holding one Cube per currency
// (currency="USD" rate="1.0412", units per 1 EUR). The daily file has one
// day; the 90-day and complete history files have many, newest first. The
// days come back oldest first, each with its rates ordered by currency.
//
// Anything else is refused with a *ParseError naming the line and element:
// XML syntax errors, unexpected elements or text inside the rate cubes, a
// missing or invalid date, currency or rate, a day or currency given twice,
// a day without rates, a file without days. Elements outside the outer Cube
// (subject, sender) are not interpreted.
func ParseECB(r io.Reader) ([]Day, error) { return parseECB(r, MaxFileSize) }

// parseECB is ParseECB reading at most limit bytes.
func parseECB(r io.Reader, limit int64) ([]Day, error) {
	p := ecbParser{lr: &limitedReader{r: r, n: limit, limit: limit}}
	p.d = xml.NewDecoder(p.lr)
	return p.parse()
}

type ecbParser struct {
	lr *limitedReader
	d  *xml.Decoder
	// line and col are where the last token read ended.
	line, col int
}

// limitedReader is io.LimitReader that reports running past the limit as
// an error rather than as the end of the file, which would look like a
// truncated (hence malformed, but misleadingly so) document.
type limitedReader struct {
	r        io.Reader
	n, limit int64 // bytes left, bytes allowed
	exceeded bool
}

type errTooLarge struct{ limit int64 }

func (e errTooLarge) Error() string {
	if e.limit >= 1<<20 {
		return fmt.Sprintf("the file is larger than %d MiB", e.limit>>20)
	}
	return fmt.Sprintf("the file is larger than %d bytes", e.limit)
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// One more byte tells a file of exactly the limit from a larger one.
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			l.exceeded = true
			return 0, errTooLarge{l.limit}
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

func (p *ecbParser) fail(elem, msg string, err error) *ParseError {
	return &ParseError{Line: p.line, Column: p.col, Element: elem, Msg: msg, Err: err}
}

// token returns the next token, copied, with comments, processing
// instructions and directives dropped. It returns io.EOF only at the end of
// a well-formed document.
func (p *ecbParser) token() (xml.Token, error) {
	for {
		tok, err := p.d.Token()
		p.line, p.col = p.d.InputPos()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			if p.lr.exceeded {
				return nil, p.fail("", "too large", errTooLarge{p.lr.limit})
			}
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, &ParseError{Line: se.Line, Msg: "not well-formed XML", Err: errors.New(se.Msg)}
			}
			return nil, p.fail("", "reading the file", err)
		}
		switch tok.(type) {
		case xml.Comment, xml.ProcInst, xml.Directive:
			continue
		}
		return xml.CopyToken(tok), nil
	}
}

func (p *ecbParser) parse() ([]Day, error) {
	var days []Day
	sawRoot := false
	for {
		tok, err := p.token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if sawRoot {
				return nil, p.fail(show(t), "a second root element after the envelope", nil)
			}
			if t.Name.Local != "Envelope" {
				return nil, p.fail(show(t), "the root element must be a gesmes:Envelope", nil)
			}
			sawRoot = true
			if days, err = p.envelope(); err != nil {
				return nil, err
			}
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) > 0 {
				return nil, p.fail("", "text outside the envelope", nil)
			}
		}
	}
	if !sawRoot {
		return nil, p.fail("", "no gesmes:Envelope element", nil)
	}
	if len(days) == 0 {
		return nil, p.fail("", "no <Cube time=...> day in the file", nil)
	}
	slices.SortFunc(days, func(a, b Day) int { return a.Date.Compare(b.Date) })
	return days, nil
}

// envelope reads the root's content up to its end tag.
func (p *ecbParser) envelope() ([]Day, error) {
	var days []Day
	sawCube := false
	for {
		tok, err := p.token()
		if err == io.EOF {
			return nil, p.fail("", "the file ends inside the envelope", nil)
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return days, nil
		case xml.StartElement:
			if t.Name.Local != "Cube" {
				// Subject, sender and the like: not rates.
				if err := p.d.Skip(); err != nil {
					p.line, p.col = p.d.InputPos()
					return nil, p.fail(show(t), "not well-formed XML", err)
				}
				continue
			}
			if sawCube {
				return nil, p.fail(show(t), "a second outer Cube; the days must all be inside one", nil)
			}
			sawCube = true
			if len(t.Attr) > 0 {
				return nil, p.fail(show(t), "the outer Cube has attributes; expected <Cube> holding <Cube time=...> days", nil)
			}
			if days, err = p.outerCube(); err != nil {
				return nil, err
			}
		}
	}
}

// outerCube reads the days up to the outer Cube's end tag.
func (p *ecbParser) outerCube() ([]Day, error) {
	var days []Day
	seen := map[time.Time]int{} // date -> line first seen
	for {
		tok, err := p.token()
		if err != nil {
			if err == io.EOF {
				return nil, p.fail("", "the file ends inside a Cube", nil)
			}
			return nil, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return days, nil
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) > 0 {
				return nil, p.fail("<Cube>", fmt.Sprintf("unexpected text %q", clip(string(t))), nil)
			}
		case xml.StartElement:
			elem := show(t)
			if t.Name.Local != "Cube" {
				return nil, p.fail(elem, "expected <Cube time=...>", nil)
			}
			ts, ok := attr(t, "time")
			if !ok {
				return nil, p.fail(elem, "a day's Cube has no time attribute", nil)
			}
			date, err := time.Parse(dateLayout, ts)
			if err != nil {
				return nil, p.fail(elem, fmt.Sprintf("time %q is not a date YYYY-MM-DD", clip(ts)), nil)
			}
			line := p.line
			if first, dup := seen[date]; dup {
				return nil, p.fail(elem, fmt.Sprintf("day %s appears twice (first at line %d)", ts, first), nil)
			}
			seen[date] = line
			rates, err := p.dayCube(elem)
			if err != nil {
				return nil, err
			}
			if len(rates) == 0 {
				p.line = line
				return nil, p.fail(elem, fmt.Sprintf("day %s has no rates", ts), nil)
			}
			days = append(days, Day{Source: SourceECB, Date: date, Rates: rates})
		}
	}
}

// dayCube reads one day's currency cubes up to its end tag.
func (p *ecbParser) dayCube(dayElem string) ([]DayRate, error) {
	var rates []DayRate
	seen := map[string]int{}
	for {
		tok, err := p.token()
		if err != nil {
			if err == io.EOF {
				return nil, p.fail(dayElem, "the file ends inside a day", nil)
			}
			return nil, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			slices.SortFunc(rates, func(a, b DayRate) int { return cmp.Compare(a.Currency, b.Currency) })
			return rates, nil
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) > 0 {
				return nil, p.fail(dayElem, fmt.Sprintf("unexpected text %q", clip(string(t))), nil)
			}
		case xml.StartElement:
			elem := show(t)
			if t.Name.Local != "Cube" {
				return nil, p.fail(elem, "expected <Cube currency=... rate=...>", nil)
			}
			cur, okc := attr(t, "currency")
			rs, okr := attr(t, "rate")
			if !okc || !okr {
				return nil, p.fail(elem, "a rate's Cube needs both a currency and a rate attribute", nil)
			}
			code, err := normCode(cur)
			if err != nil {
				return nil, p.fail(elem, fmt.Sprintf("currency %q is not a three-letter code", clip(cur)), nil)
			}
			if code == Base {
				return nil, p.fail(elem, "a rate for EUR against itself", nil)
			}
			rate, err := money.ParseRate(rs)
			if err != nil {
				return nil, p.fail(elem, fmt.Sprintf("rate %q for %s", clip(rs), code), err)
			}
			if first, dup := seen[code]; dup {
				return nil, p.fail(elem, fmt.Sprintf("currency %s appears twice in one day (first at line %d)", code, first), nil)
			}
			seen[code] = p.line
			line, col := p.line, p.col
			// A rate's Cube is empty: the next token must close it.
			next, err := p.token()
			if err != nil {
				if err == io.EOF {
					return nil, p.fail(elem, "the file ends inside a rate", nil)
				}
				return nil, err
			}
			if _, ok := next.(xml.EndElement); !ok {
				p.line, p.col = line, col
				return nil, p.fail(elem, "a rate's Cube must be empty", nil)
			}
			rates = append(rates, DayRate{Currency: code, PerEUR: rate})
		}
	}
}

func attr(t xml.StartElement, name string) (string, bool) {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// show renders a start tag for an error message, values clipped.
func show(t xml.StartElement) string {
	var b strings.Builder
	b.WriteByte('<')
	b.WriteString(clip(t.Name.Local))
	for i, a := range t.Attr {
		if i == 4 {
			b.WriteString(" ...")
			break
		}
		if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
			continue
		}
		fmt.Fprintf(&b, " %s=%q", clip(a.Name.Local), clip(a.Value))
	}
	b.WriteByte('>')
	return b.String()
}

// clip bounds what of the file is echoed in an error message.
func clip(s string) string {
	const max = 40
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
