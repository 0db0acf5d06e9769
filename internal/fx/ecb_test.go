package fx_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/money"
)

// sharedFXDir holds the project's shared exchange-rate test files.
var sharedFXDir = filepath.Join("..", "..", "..", "shared", "testdata", "fx")

// mustOpenShared opens a shared test file, or skips the test loudly when
// the shared test data is not checked out next to the repository.
func mustOpenShared(tb testing.TB, name string) *os.File {
	tb.Helper()
	path := filepath.Join(sharedFXDir, name)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		tb.Skipf("SKIPPING: shared test data %s is missing (expected the shared/ directory beside the repository): %v", path, err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}

// flat renders parsed days as "date currency rate" lines for comparison.
func flat(days []fx.Day) []string {
	var out []string
	for _, d := range days {
		for _, r := range d.Rates {
			out = append(out, d.Date.Format(time.DateOnly)+" "+string(d.Source)+" "+r.Currency+" "+r.PerEUR.String())
		}
	}
	return out
}

func TestParseECBDailyFile(t *testing.T) {
	days, err := fx.ParseECB(mustOpenShared(t, "eurofxref-daily.xml"))
	if err != nil {
		t.Fatalf("ParseECB(eurofxref-daily.xml): %v", err)
	}
	want := []string{
		"2026-11-20 ecb CHF 0.9318",
		"2026-11-20 ecb CNY 7.5391",
		"2026-11-20 ecb GBP 0.8321",
		"2026-11-20 ecb HKD 8.1042",
		"2026-11-20 ecb JPY 161.27",
		"2026-11-20 ecb KRW 1456.22",
		"2026-11-20 ecb RUB 104.85", // "104.8500" in the file: the same value
		"2026-11-20 ecb USD 1.0412",
	}
	if diff := cmp.Diff(want, flat(days)); diff != "" {
		t.Errorf("parsed rates (-want +got):\n%s", diff)
	}
	if len(days) == 1 && (days[0].Date.Location() != time.UTC || days[0].Date.Hour() != 0) {
		t.Errorf("date = %v, want 00:00 UTC", days[0].Date)
	}
}

// history is the 90-day layout: several days, newest first.
const history = `<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
	<gesmes:subject>Reference rates</gesmes:subject>
	<gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
	<Cube>
		<Cube time="2026-11-20">
			<Cube currency="USD" rate="1.0412"/>
			<Cube currency="CNY" rate="7.5391"/>
		</Cube>
		<!-- a weekend: no rates on the 18th and 19th in this made-up file -->
		<Cube time="2026-11-17">
			<Cube currency="USD" rate="1.0398"/>
			<Cube currency="CNY" rate="7.5210"/>
			<Cube currency="BGN" rate="1.9558"/>
		</Cube>
		<Cube time="2026-11-16"><Cube currency="USD" rate="1.04"></Cube></Cube>
	</Cube>
</gesmes:Envelope>
`

func TestParseECBHistoryLayout(t *testing.T) {
	days, err := fx.ParseECB(strings.NewReader(history))
	if err != nil {
		t.Fatalf("ParseECB: %v", err)
	}
	want := []string{
		"2026-11-16 ecb USD 1.04",
		"2026-11-17 ecb BGN 1.9558", // not a currency money knows: kept anyway
		"2026-11-17 ecb CNY 7.521",
		"2026-11-17 ecb USD 1.0398",
		"2026-11-20 ecb CNY 7.5391",
		"2026-11-20 ecb USD 1.0412",
	}
	if diff := cmp.Diff(want, flat(days)); diff != "" {
		t.Errorf("parsed rates, oldest day first (-want +got):\n%s", diff)
	}
}

// envelope wraps day cubes in the file's outer layout; the days start on
// line 4.
func envelope(cubes string) string {
	return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
		"<gesmes:Envelope xmlns:gesmes=\"http://www.gesmes.org/xml/2002-08-01\" xmlns=\"http://www.ecb.int/vocabulary/2002-08-01/eurofxref\">\n" +
		"<Cube>\n" + cubes + "\n</Cube>\n</gesmes:Envelope>\n"
}

func TestParseECBRefusesMalformedFiles(t *testing.T) {
	usd := `<Cube currency="USD" rate="1.0412"/>`
	tests := []struct {
		name string
		in   string
		want []string // substrings of the error
	}{
		{"empty", "", []string{"no gesmes:Envelope"}},
		{"not xml", "rate,USD,1.04\n", []string{"text outside the envelope"}},
		{"html", "<html><body>Service unavailable</body></html>", []string{"line 1", "<html>", "gesmes:Envelope"}},
		{"truncated", envelope(`<Cube time="2026-11-20">` + usd)[:150], []string{"not well-formed XML"}},
		{"mismatched tags", envelope(`<Cube time="2026-11-20">` + usd + `</Cub>`), []string{"line 4", "not well-formed XML"}},
		{"no days", envelope(""), []string{"no <Cube time=...> day"}},
		{"day without rates", envelope(`<Cube time="2026-11-20"></Cube>`), []string{"line 4", "day 2026-11-20 has no rates"}},
		{"no time", envelope(`<Cube>` + usd + `</Cube>`), []string{"line 4", "no time attribute"}},
		{"bad date", envelope(`<Cube time="2026-02-30">` + usd + `</Cube>`), []string{"line 4", `time="2026-02-30"`, "not a date"}},
		{"date with time", envelope(`<Cube time="2026-11-20T16:00">` + usd + `</Cube>`), []string{"not a date"}},
		{"day twice", envelope(`<Cube time="2026-11-20">` + usd + "</Cube>\n" + `<Cube time="2026-11-20">` + usd + `</Cube>`),
			[]string{"line 5", "day 2026-11-20 appears twice (first at line 4)"}},
		{"currency twice", envelope(`<Cube time="2026-11-20">` + usd + "\n" + usd + `</Cube>`),
			[]string{"line 5", `currency="USD"`, "USD appears twice"}},
		{"no rate", envelope(`<Cube time="2026-11-20"><Cube currency="USD"/></Cube>`), []string{"line 4", "needs both a currency and a rate"}},
		{"no currency", envelope(`<Cube time="2026-11-20"><Cube rate="1.2"/></Cube>`), []string{"needs both a currency and a rate"}},
		{"bad code", envelope(`<Cube time="2026-11-20"><Cube currency="US$" rate="1.2"/></Cube>`), []string{`currency "US$"`}},
		{"euro", envelope(`<Cube time="2026-11-20"><Cube currency="EUR" rate="1"/></Cube>`), []string{"EUR against itself"}},
		{"rate not a number", envelope(`<Cube time="2026-11-20"><Cube currency="USD" rate="1,0412"/></Cube>`),
			[]string{"line 4", `rate="1,0412"`, `rate "1,0412" for USD`}},
		{"zero rate", envelope(`<Cube time="2026-11-20"><Cube currency="USD" rate="0"/></Cube>`), []string{`rate "0" for USD`, "not positive"}},
		{"negative rate", envelope(`<Cube time="2026-11-20"><Cube currency="USD" rate="-1.04"/></Cube>`), []string{"negative"}},
		{"exponent", envelope(`<Cube time="2026-11-20"><Cube currency="USD" rate="1e3"/></Cube>`), []string{`rate "1e3"`}},
		{"rate cube with content", envelope(`<Cube time="2026-11-20"><Cube currency="USD" rate="1.04"><Cube currency="CNY" rate="7"/></Cube></Cube>`),
			[]string{"must be empty"}},
		{"text in a day", envelope(`<Cube time="2026-11-20">USD 1.04</Cube>`), []string{`unexpected text "USD 1.04"`}},
		{"stranger in a day", envelope(`<Cube time="2026-11-20"><Rate currency="USD" rate="1.04"/></Cube>`), []string{"<Rate", "expected <Cube currency"}},
		{"two outer cubes", strings.Replace(envelope(`<Cube time="2026-11-20">`+usd+`</Cube>`), "</gesmes:", "<Cube></Cube></gesmes:", 1),
			[]string{"line 6", "a second outer Cube"}},
		{"second root", envelope(`<Cube time="2026-11-20">`+usd+`</Cube>`) + "<Envelope/>", []string{"a second root element"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			days, err := fx.ParseECB(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("ParseECB accepted it: %v", flat(days))
			}
			if !errors.Is(err, fx.ErrMalformed) {
				t.Errorf("error %v does not match ErrMalformed", err)
			}
			var pe *fx.ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error %v is not a *fx.ParseError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if days != nil {
				t.Errorf("ParseECB returned days with its error: %v", flat(days))
			}
		})
	}
}

func TestParseECBBadRateUnwrapsToMoney(t *testing.T) {
	_, err := fx.ParseECB(strings.NewReader(envelope(`<Cube time="2026-11-20"><Cube currency="USD" rate="x"/></Cube>`)))
	if !errors.Is(err, money.ErrInvalidRate) {
		t.Errorf("error %v does not match money.ErrInvalidRate", err)
	}
}
