package connector

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/money"
)

const sampleCSV = "\ufeff" + `record,statement_id,account,booking_date,value_date,amount,currency,credit_debit,status,entry_ref,end_to_end_id,remittance,counterparty_name,counterparty_iban
opening,2026-03-11,DE89370400440532013000,2026-03-10,,1000.00,EUR,CRDT,,,,,,
entry,2026-03-11,DE89370400440532013000,2026-03-11,2026-03-11,250.00,EUR,CRDT,BOOK,B-1,E2E-1,"Deposit OKP7M2K9QX4, thanks",Li Lei,nl91 abna 0417 1643 00
entry,2026-03-11,DE89370400440532013000,2026-03-11,,12.34,EUR,DBIT,,B-2,,Bank fee,,
entry,2026-03-11,DE89370400440532013000,2026-03-11,,5000.00,EUR,CRDT,PDNG,B-3,,not yet booked,,
closing,2026-03-11,DE89370400440532013000,2026-03-11,,1237.66,EUR,CRDT,,,,,,
`

func TestCSVStatement(t *testing.T) {
	if !strings.HasPrefix(sampleCSV[3:], CSVHeader()+"\n") {
		t.Fatalf("the sample header is not CSVHeader()")
	}
	s, err := ParseStatement("march.csv", []byte(sampleCSV))
	if err != nil {
		t.Fatal(err)
	}
	got := view(t, s)
	want := stmtView{Format: "csv", ID: "2026-03-11", Account: "DE89370400440532013000", Currency: "EUR",
		Opening: "1000.00 EUR", Closing: "1237.66 EUR", Credits: "250.00 EUR", Debits: "12.34 EUR",
		Balances: []string{"OPBD 1000.00 EUR 2026-03-10", "CLBD 1237.66 EUR 2026-03-11"},
		Entries: []entryView{
			{Ref: "B-1", Amount: "250.00 EUR", Status: "BOOK", Booked: "2026-03-11", Value: "2026-03-11", Credit: true,
				Remittance: "Deposit OKP7M2K9QX4, thanks", E2E: "E2E-1", Name: "Li Lei", IBAN: "NL91ABNA0417164300", Transactions: 1},
			{Ref: "B-2", Amount: "12.34 EUR", Status: "BOOK", Booked: "2026-03-11", Remittance: "Bank fee", Transactions: 1},
			{Ref: "B-3", Amount: "5000.00 EUR", Status: "PDNG", Booked: "2026-03-11", Credit: true, Remittance: "not yet booked", Transactions: 1},
		}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statement (-want +got):\n%s", diff)
	}
}

func TestCSVColumnsInAnyOrder(t *testing.T) {
	data := `currency,amount,credit_debit,record,statement_id,account,booking_date,entry_ref
JPY,1000,DBIT,opening,S1,GB82WEST12345698765432,2026-03-01,
JPY,1500,CRDT,entry,S1,GB82WEST12345698765432,2026-03-02,X1
JPY,500,CRDT,closing,S1,GB82WEST12345698765432,2026-03-31,
USD,0.00,CRDT,opening,S2,GB82WEST12345698765432,2026-03-01,
USD,0.00,CRDT,closing,S2,GB82WEST12345698765432,2026-03-31,
`
	stmts, err := ParseStatements("two.csv", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) != 2 || stmts[0].Opening != mustAmount(t, -1000, "JPY") || stmts[1].Currency != money.MustCurrency("USD") {
		t.Errorf("statements = %+v", stmts)
	}
}

func TestCSVRefusals(t *testing.T) {
	head := CSVHeader() + "\n"
	open := "opening,S,DE89370400440532013000,2026-03-10,,10.00,EUR,CRDT,,,,,,\n"
	closing := "closing,S,DE89370400440532013000,2026-03-11,,10.00,EUR,CRDT,,,,,,\n"
	entry := func(amount, ref string) string {
		return "entry,S,DE89370400440532013000,2026-03-11,," + amount + ",EUR,CRDT,," + ref + ",,,,\n"
	}
	tests := []struct {
		name, data, want string
		is               error
	}{
		{"too precise", head + open + entry("1.005", "R") + closing,
			`x.csv:3: amount: money: too many fractional digits: "1.005" has 3 fractional digits, EUR allows 2`, money.ErrTooPrecise},
		{"trailing zero too", head + open + entry("1.000", "R") + closing, "x.csv:3: amount: money: too many fractional digits", money.ErrTooPrecise},
		{"signed", head + open + entry("-1.00", "R") + closing, "x.csv:3: amount: connector: malformed statement: the amount has no sign", ErrStatementFormat},
		{"grouped", head + open + entry("1,000.00", "R") + closing, "x.csv:3: connector: malformed statement: wrong number of fields", ErrStatementFormat},
		{"does not add up", head + open + entry("1.00", "R") + closing,
			"x.csv:2: statement S: connector: statement does not add up: opening 10.00 + credits 1.00 - debits 0.00 = 11.00 EUR, but the closing balance is 10.00 EUR (off by -1.00)",
			ErrUnbalanced},
		{"no closing", head + open, "x.csv:2: statement S: connector: statement does not add up: no closing booked balance", ErrUnbalanced},
		{"two openings", head + open + open + closing, "x.csv:3: record: connector: malformed statement: a second opening balance in statement S", ErrStatementFormat},
		{"no entry ref", head + open + entry("0.00", "") + closing, "x.csv:3: entry_ref: connector: malformed statement: empty", ErrStatementFormat},
		{"duplicate entry ref", head + open + entry("0.00", "R") + entry("0.00", "R") + closing,
			`x.csv:4: entry_ref: connector: malformed statement: entry reference "R" is also used by line 3`, ErrStatementFormat},
		{"unknown record", head + strings.Replace(open, "opening", "balance", 1), `x.csv:2: record: connector: malformed statement: "balance" is not opening`, ErrStatementFormat},
		{"bad date", head + strings.Replace(open, "2026-03-10", "10/03/2026", 1), `x.csv:2: booking_date: connector: malformed statement: "10/03/2026" is not a date`, ErrStatementFormat},
		{"bad status", head + open + strings.Replace(entry("0.00", "R"), ",,R,", ",DONE,R,", 1) + closing, `x.csv:3: status: connector: malformed statement: unknown status "DONE"`, ErrStatementFormat},
		{"bad indicator", head + strings.Replace(open, "CRDT", "C", 1), `x.csv:2: credit_debit: connector: malformed statement: "C" is neither CRDT nor DBIT`, ErrStatementFormat},
		{"two currencies", head + open + strings.Replace(closing, "EUR", "USD", 1), "x.csv:3: currency: connector: malformed statement: USD differs from EUR", ErrStatementFormat},
		{"two accounts", head + open + strings.Replace(closing, "DE89370400440532013000", "NL91ABNA0417164300", 1), `x.csv:3: account: connector: malformed statement: "NL91ABNA0417164300" differs`, ErrStatementFormat},
		{"unknown currency", head + strings.Replace(open, "EUR", "EURO", 1), "x.csv:2: currency: money: unknown currency", money.ErrUnknownCurrency},
		{"unknown column", "record,statement_id,amout\n", `x.csv:1: connector: malformed statement: unknown column "amout"`, ErrStatementFormat},
		{"missing column", "record,statement_id\n", "x.csv:1: connector: malformed statement: the header has no account column", ErrStatementFormat},
		{"header only", head, "x.csv: connector: malformed statement: no records after the header", ErrStatementFormat},
		{"bad quote", head + `entry,"S,` + "\n", "x.csv:2: connector: malformed statement: extraneous or missing \" in quoted-field", ErrStatementFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseStatements("x.csv", []byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error:\n got %v\nwant ...%s...", err, tt.want)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
		})
	}
}
