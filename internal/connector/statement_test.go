package connector

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/money"
)

// camt053Dir holds the shared sample statements (from the test data of the
// genkgo/camt library; see its README).
const camt053Dir = "../../../shared/testdata/camt053"

func camt053File(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(camt053Dir, name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("SKIPPED: the camt.053 sample statements are missing (%s); the bank statement tests did not run", camt053Dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// stmtView is what the tests compare of a Statement: amounts as text, so a
// failure reads like the XML.
type stmtView struct {
	Format, MessageID, ID, Account, Currency string
	Opening, Closing                         string
	Credits, Debits                          string
	Balances                                 []string
	Entries                                  []entryView
}

type entryView struct {
	Ref, Amount, Status, Booked, Value string
	Credit, Reversal                   bool
	Remittance, CreditorRef, E2E       string
	Name, IBAN                         string
	Transactions                       int
}

func amountText(a money.Amount) string {
	if a.Currency.Code == "" {
		return ""
	}
	return a.Decimal() + " " + a.Currency.Code
}

func dateText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Location() == time.UTC {
		return t.Format("2006-01-02")
	}
	return t.Format(time.RFC3339)
}

func view(t *testing.T, s Statement) stmtView {
	t.Helper()
	v := stmtView{Format: s.Format, MessageID: s.MessageID, ID: s.ID, Account: s.Account, Currency: s.Currency.Code,
		Opening: amountText(s.Opening), Closing: amountText(s.Closing)}
	credits, debits, err := s.BookedTotals()
	if err != nil {
		t.Fatalf("BookedTotals: %v", err)
	}
	v.Credits, v.Debits = amountText(credits), amountText(debits)
	for _, b := range s.Balances {
		v.Balances = append(v.Balances, fmt.Sprintf("%s %s %s", b.Type, amountText(b.Amount), dateText(b.Date)))
	}
	for _, e := range s.Entries {
		v.Entries = append(v.Entries, entryView{Ref: e.Ref, Amount: amountText(e.Amount), Status: e.Status,
			Booked: dateText(e.BookingDate), Value: dateText(e.ValueDate), Credit: e.Credit, Reversal: e.Reversal,
			Remittance: e.Remittance, CreditorRef: e.CreditorRef, E2E: e.EndToEndID,
			Name: e.CounterpartyName, IBAN: e.CounterpartyIBAN, Transactions: e.Transactions})
	}
	return v
}

// The values below were read off the XML files by hand.
var (
	balancesMinimal = []string{"OPBD 18.15 EUR 2014-12-30", "CLBD -27.00 SEK 2014-12-31", "OPAV 35.00 CHF 2014-12-30", "CLAV -2700 JPY 2014-12-31"}
	balancesV4      = []string{"OPBD 18.15 EUR 2014-12-30", "CLBD -27.00 SEK 2014-12-30", "OPAV 35.00 CHF 2014-12-30", "CLAV -2700 JPY 2014-12-31"}
	entryMinimal    = entryView{Ref: "253EURNL26VAYB8060476890#1", Amount: "8.85 EUR", Status: "BOOK", Booked: "2014-12-31",
		Value: "2015-01-02", Credit: true, CreditorRef: "4654654654654654", Name: "NAME NAME", IBAN: "NL56AGDH9619008421", Transactions: 1}
	stmtMinimal = stmtView{Format: "camt.053.001.02", MessageID: "CAMT053RIB000000000001", ID: "253EURNL26VAYB8060476890",
		Account: "NL26VAYB8060476890", Currency: "EUR", Opening: "18.15 EUR", Closing: "-27.00 SEK",
		Credits: "8.85 EUR", Debits: "0.00 EUR", Balances: balancesMinimal, Entries: []entryView{entryMinimal}}
	// notEUR is why the genkgo samples with a closing balance in SEK are
	// refused: 18.15 + 8.85 = 27.00, but the closing balance is a debit of
	// 27.00 SEK on an EUR account.
	notEUR = "the closing booked balance -27.00 SEK is not in the statement's currency EUR"
)

func with[T any](v T, f func(*T)) T {
	f(&v)
	return v
}

func TestCamt053Samples(t *testing.T) {
	tests := []struct {
		file string
		want []stmtView
		// parseErr is what ParseStatements says; "" means it accepts the
		// file.
		parseErr string
	}{
		{
			file: "camt053.v2.all-balance-types.xml",
			want: []stmtView{{Format: "camt.053.001.02", MessageID: "CAMT05300000001", ID: "CAMT0532015012200001",
				Account: "CH2801234000123456789", Currency: "EUR", Opening: "1.01 EUR", Closing: "4.04 EUR",
				Credits: "8.85 EUR", Debits: "0.00 EUR",
				Balances: []string{"OPBD 1.01 EUR 2015-01-21", "PRCD 2.02 EUR 2015-01-21", "OPAV 3.03 EUR 2015-01-22",
					"CLBD 4.04 EUR 2015-01-22", "CLAV 5.05 EUR 2015-01-23", "FWAV 6.06 EUR 2015-01-26",
					"INFO 7.07 EUR 2015-01-27", "ITAV 8.08 EUR 2015-01-28", "ITBD 9.09 EUR 2015-01-21", "XPCD 10.10 EUR 2015-01-21"},
				Entries: []entryView{{Ref: "CAMT0532015012200001#1", Amount: "8.85 EUR", Status: "BOOK", Booked: "2014-12-31",
					Value: "2015-01-02", Credit: true, Remittance: "Transaction Description", E2E: "000000001", Transactions: 1}}}},
			parseErr: "camt053.v2.all-balance-types.xml:10: Stmt[0]: connector: statement does not add up: " +
				"opening 1.01 + credits 8.85 - debits 0.00 = 9.86 EUR, but the closing balance is 4.04 EUR (off by -5.82)",
		},
		{
			// "8.850" has a third decimal, a zero: it is exactly 8.85 EUR.
			// The file is refused anyway, because it does not add up.
			file: "camt053.v2.five.decimals.xml",
			want: []stmtView{with(stmtMinimal, func(v *stmtView) {
				v.Closing = "27.05 EUR"
				v.Balances = []string{"OPBD 18.15 EUR 2014-12-30", "CLBD 27.05 EUR 2014-12-31"}
				v.Entries = []entryView{with(entryMinimal, func(e *entryView) {
					e.Remittance, e.E2E, e.CreditorRef, e.Name, e.IBAN = "Transaction Description", "000000001", "", "", ""
				})}
			})},
			parseErr: "camt053.v2.five.decimals.xml:25: Stmt[0]: connector: statement does not add up: " +
				"opening 18.15 + credits 8.85 - debits 0.00 = 27.00 EUR, but the closing balance is 27.05 EUR (off by 0.05)",
		},
		{
			file:     "camt053.v2.minimal.xml",
			want:     []stmtView{stmtMinimal},
			parseErr: "camt053.v2.minimal.xml:26: Stmt[0]: connector: statement does not add up: " + notEUR,
		},
		{
			// Only the ultimate debtor is named.
			file: "camt053.v2.minimal.ultimate.xml",
			want: []stmtView{with(stmtMinimal, func(v *stmtView) {
				v.Entries = []entryView{with(entryMinimal, func(e *entryView) { e.Name, e.IBAN = "DEBTOR NAME NM", "" })}
			})},
			parseErr: "camt053.v2.minimal.ultimate.xml:26: Stmt[0]: connector: statement does not add up: " + notEUR,
		},
		{
			file:     "camt053.v2.with-party-ids.xml",
			want:     []stmtView{stmtMinimal},
			parseErr: "camt053.v2.with-party-ids.xml:26: Stmt[0]: connector: statement does not add up: " + notEUR,
		},
		{
			// The one file that adds up: two statements, 18.15 + 8.85 =
			// 27.00, then 27.00 - 7.00 = 20.00.
			file: "camt053.v2.multi.statement.xml",
			want: []stmtView{
				with(stmtMinimal, func(v *stmtView) {
					v.Closing = "27.00 EUR"
					v.Balances = []string{"OPBD 18.15 EUR 2014-12-30", "CLBD 27.00 EUR 2014-12-31"}
					v.Entries = []entryView{with(entryMinimal, func(e *entryView) {
						// A credit's counterparty is its debtor, whom this
						// file does not name.
						e.Remittance, e.E2E, e.CreditorRef, e.Name, e.IBAN = "Transaction Description 1", "000000001", "", "", ""
					})}
				}),
				{Format: "camt.053.001.02", MessageID: "CAMT053RIB000000000001", ID: "254EURNL26VAYB8060476890",
					Account: "NL26VAYB8060476890", Currency: "EUR", Opening: "27.00 EUR", Closing: "20.00 EUR",
					Credits: "0.00 EUR", Debits: "7.00 EUR",
					Balances: []string{"OPBD 27.00 EUR 2014-12-30", "CLBD 20.00 EUR 2014-12-31"},
					Entries: []entryView{{Ref: "254EURNL26VAYB8060476890#1", Amount: "7.00 EUR", Status: "BOOK",
						Booked: "2014-12-31", Value: "2015-01-02", Remittance: "Transaction Description 2", E2E: "000000002",
						Name: "Company Name 2", IBAN: "NL56AGDH9619008421", Transactions: 1}}},
			},
		},
		{
			// No booked balance at all, only an available one in JPY; the
			// currency comes from the entry.
			file: "camt053.v2.with-account-name.xml",
			want: []stmtView{{Format: "camt.053.001.02", MessageID: "CAMT053RIB000000000001", ID: "253EURCH2801234000123456789",
				Account: "CH2801234000123456789", Currency: "EUR", Credits: "8.85 EUR", Debits: "0.00 EUR",
				Balances: []string{"CLAV -2700 JPY 2014-12-31"},
				Entries: []entryView{{Ref: "253EURCH2801234000123456789#1", Amount: "8.85 EUR", Status: "BOOK",
					Booked: "2014-12-31", Credit: true, Transactions: 1}}}},
			parseErr: "camt053.v2.with-account-name.xml:8: Stmt[0]: connector: statement does not add up: no opening booked balance (OPBD or PRCD)",
		},
		{
			file: "camt053.v3.xml",
			want: []stmtView{with(stmtMinimal, func(v *stmtView) {
				v.Format = "camt.053.001.03"
				v.Entries = []entryView{with(entryMinimal, func(e *entryView) { e.Ref = "XXXXXXXXXXXXXXXXXXXXXXEUR" })}
			})},
			parseErr: "camt053.v3.xml:26: Stmt[0]: connector: statement does not add up: " + notEUR,
		},
		{
			file: "camt053.v4.xml",
			want: []stmtView{with(stmtMinimal, func(v *stmtView) {
				v.Format, v.Balances = "camt.053.001.04", balancesV4
				v.Entries = []entryView{with(entryMinimal, func(e *entryView) { e.Ref = "AAAASESS-FP-CN_98765/01" })}
			})},
			parseErr: "camt053.v4.xml:30: Stmt[0]: connector: statement does not add up: " + notEUR,
		},
		{
			// Version 08: Sts/Cd, a booking date-time, parties inside Pty.
			file: "camt053.v8.xml",
			want: []stmtView{with(stmtMinimal, func(v *stmtView) {
				v.Format, v.Balances = "camt.053.001.08", balancesV4
				v.Entries = []entryView{with(entryMinimal, func(e *entryView) {
					e.Ref, e.Booked, e.E2E = "AAAASESS-FP-CN_98765/01", "2014-12-31T13:15:00+01:00", "MUELL/FINP/RA12345"
				})}
			})},
			parseErr: "camt053.v8.xml:30: Stmt[0]: connector: statement does not add up: " + notEUR,
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := camt053File(t, tt.file)
			stmts, err := DecodeStatements(tt.file, data)
			if err != nil {
				t.Fatalf("DecodeStatements: %v", err)
			}
			var got []stmtView
			for _, s := range stmts {
				got = append(got, view(t, s))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("statements (-want +got):\n%s", diff)
			}

			parsed, err := ParseStatements(tt.file, data)
			if tt.parseErr == "" {
				if err != nil {
					t.Fatalf("ParseStatements: %v", err)
				}
				if diff := cmp.Diff(stmts, parsed, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
					t.Errorf("ParseStatements differs from DecodeStatements:\n%s", diff)
				}
				return
			}
			if err == nil || err.Error() != tt.parseErr {
				t.Fatalf("ParseStatements error:\n got %v\nwant %s", err, tt.parseErr)
			}
			if !errors.Is(err, ErrUnbalanced) {
				t.Errorf("error %v does not wrap ErrUnbalanced", err)
			}
		})
	}
}

// TestCamt053WrongSample checks the sample that is wrong on purpose: a
// BkToCstmrStmt with a group header and no statement, which the schema
// forbids (Stmt is 1..n).
func TestCamt053WrongSample(t *testing.T) {
	const file = "camt053.v2.wrong.xml"
	data := camt053File(t, file)
	const want = "camt053.v2.wrong.xml:3: BkToCstmrStmt: connector: malformed statement: " +
		"no Stmt element: a camt.053 message holds at least one statement"
	for name, parse := range map[string]func(string, []byte) ([]Statement, error){
		"ParseStatements": ParseStatements, "DecodeStatements": DecodeStatements,
	} {
		_, err := parse(file, data)
		if err == nil || err.Error() != want {
			t.Errorf("%s error:\n got %v\nwant %s", name, err, want)
		}
		if !errors.Is(err, ErrStatementFormat) {
			t.Errorf("%s: %v does not wrap ErrStatementFormat", name, err)
		}
		var se *StatementError
		if !errors.As(err, &se) || se.File != file || se.Line != 3 || se.Path != "BkToCstmrStmt" {
			t.Errorf("%s: StatementError = %+v", name, se)
		}
	}
	if _, err := ParseStatement(file, data); err == nil {
		t.Error("ParseStatement accepted the wrong file")
	}
}

// camtDoc builds a camt.053 document of the given version around the
// statement body.
func camtDoc(version, stmtBody string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.` + version + `">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-03-11T08:00:00+01:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-1</Id>
      <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
` + stmtBody + `
    </Stmt>
  </BkToCstmrStmt>
</Document>
`
}

func bal(code, amount, cdi string) string {
	return fmt.Sprintf(`      <Bal><Tp><CdOrPrtry><Cd>%s</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">%s</Amt><CdtDbtInd>%s</CdtDbtInd><Dt><Dt>2026-03-10</Dt></Dt></Bal>`,
		code, amount, cdi)
}

func TestCamt053Deposits(t *testing.T) {
	ref := NewReference()
	// Version 08 with booked and pending entries, a batch and a reversal;
	// the deposit reference is split across two Ustrd lines.
	body := bal("OPBD", "100.00", "CRDT") + "\n" + bal("CLBD", "130.50", "CRDT") + `
      <Ntry>
        <NtryRef>N1</NtryRef>
        <Amt Ccy="EUR">50.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-03-11</Dt></BookgDt><ValDt><Dt>2026-03-11</Dt></ValDt>
        <AcctSvcrRef>BANK-0001</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>E2E-1</EndToEndId></Refs>
          <RltdPties>
            <Dbtr><Pty><Nm>Wang Fang</Nm></Pty></Dbtr>
            <DbtrAcct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></DbtrAcct>
          </RltdPties>
          <RmtInf><Ustrd>Deposit ` + ref.String()[:7] + `</Ustrd><Ustrd>` + ref.String()[7:] + ` thanks</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">20.000</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-03-11</Dt></BookgDt>
        <AddtlNtryInf>Fee</AddtlNtryInf>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">999.99</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>PDNG</Cd></Sts>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">5.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>true</RvslInd><Sts><Cd>BOOK</Cd></Sts>
        <AcctSvcrRef>BANK-0003</AcctSvcrRef>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <AcctSvcrRef>BANK-0004</AcctSvcrRef>
        <NtryDtls>
          <TxDtls><RmtInf><Ustrd>one</Ustrd></RmtInf></TxDtls>
          <TxDtls><RmtInf><Ustrd>two</Ustrd></RmtInf></TxDtls>
        </NtryDtls>
      </Ntry>`
	s, err := ParseStatement("march.xml", []byte(camtDoc("08", body)))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Entries) != 5 {
		t.Fatalf("%d entries, want 5", len(s.Entries))
	}
	e := s.Entries[0]
	if e.Ref != "BANK-0001" || e.Amount != mustAmount(t, 5050, "EUR") || !e.Credit || e.CounterpartyName != "Wang Fang" ||
		e.CounterpartyIBAN != "NL91ABNA0417164300" || e.EndToEndID != "E2E-1" || e.Transactions != 1 {
		t.Errorf("entry 0 = %+v", e)
	}
	if got, ok := e.DepositReference(); !ok || got != ref {
		t.Errorf("DepositReference(%q) = %q, %v; want %q", e.Remittance, got, ok, ref)
	}
	for i, e := range s.Entries[1:] {
		if got, ok := e.DepositReference(); ok {
			t.Errorf("entry %d has deposit reference %q", i+1, got)
		}
	}
	if e := s.Entries[1]; e.Ref != "STMT-1#2" || e.Amount.Minor != 2000 || e.Credit || e.AdditionalInfo != "Fee" {
		t.Errorf("entry 1 = %+v", e)
	}
	if e := s.Entries[2]; e.Status != StatusPending {
		t.Errorf("entry 2 status = %q", e.Status)
	}
	if e := s.Entries[3]; !e.Reversal {
		t.Errorf("entry 3 is not a reversal")
	}
	if e := s.Entries[4]; e.Transactions != 2 || e.Remittance != "one two" {
		t.Errorf("entry 4 = %+v", e)
	}
	credits, debits, err := s.BookedTotals()
	if err != nil || credits.Minor != 5550 || debits.Minor != 2500 {
		t.Errorf("totals = %v, %v, %v; want 55.50 and 25.00 (the pending 999.99 left out)", credits, debits, err)
	}
	if s.MessageID != "MSG-1" || s.Format != "camt.053.001.08" || !s.Created.IsZero() {
		t.Errorf("header = %q %q %v", s.MessageID, s.Format, s.Created)
	}
}

func TestCamt053Refusals(t *testing.T) {
	okBalances := bal("OPBD", "10.00", "CRDT") + "\n" + bal("CLBD", "10.00", "CRDT") + "\n"
	entry := func(amount, ccy, cdi string) string {
		return `      <Ntry><Amt Ccy="` + ccy + `">` + amount + `</Amt><CdtDbtInd>` + cdi + `</CdtDbtInd><Sts>BOOK</Sts></Ntry>`
	}
	tests := []struct {
		name, doc string
		want      string // a substring of the error
		is        error
	}{
		{"non-zero digit past the cents", camtDoc("02", okBalances+entry("1.005", "EUR", "CRDT")),
			`t.xml:10: Stmt[0]/Ntry[0]/Amt: 1.005 EUR: money: too many fractional digits`, money.ErrTooPrecise},
		{"five decimals", camtDoc("02", okBalances+entry("1.00001", "EUR", "CRDT")),
			"Stmt[0]/Ntry[0]/Amt: 1.00001 EUR: money: too many fractional digits", money.ErrTooPrecise},
		{"six decimals", camtDoc("02", okBalances+entry("1.000000", "EUR", "CRDT")),
			"more digits than an ISO 20022 amount may", ErrStatementFormat},
		{"yen with a fraction", strings.ReplaceAll(camtDoc("02", okBalances+entry("100.5", "JPY", "CRDT")), "EUR", "JPY"),
			"100.5 JPY: money: too many fractional digits", money.ErrTooPrecise},
		{"negative amount", camtDoc("02", okBalances+entry("-1.00", "EUR", "CRDT")),
			`"-1.00" is not a non-negative decimal amount`, ErrStatementFormat},
		{"comma", camtDoc("02", okBalances+entry("1,00", "EUR", "CRDT")), "not a non-negative decimal", ErrStatementFormat},
		{"unknown currency", camtDoc("02", okBalances+entry("1.00", "XYZ", "CRDT")),
			"Stmt[0]/Ntry[0]/Amt: money: unknown currency", money.ErrUnknownCurrency},
		{"bad indicator", camtDoc("02", okBalances+entry("1.00", "EUR", "CREDIT")),
			`Stmt[0]/Ntry[0]/CdtDbtInd: connector: malformed statement: "CREDIT" is neither CRDT nor DBIT`, ErrStatementFormat},
		{"no status", strings.Replace(camtDoc("02", okBalances+entry("1.00", "EUR", "CRDT")), "<Sts>BOOK</Sts>", "", 1),
			"Stmt[0]/Ntry[0]/Sts", ErrStatementFormat},
		{"no balance", camtDoc("02", entry("1.00", "EUR", "CRDT")), "no Bal element", ErrStatementFormat},
		{"two closing balances", camtDoc("02", okBalances+bal("CLBD", "1.00", "CRDT")),
			"Stmt[0]/Bal[2]: connector: malformed statement: a second CLBD balance", ErrStatementFormat},
		{"bad date", strings.Replace(camtDoc("02", okBalances), "2026-03-10", "10.03.2026", 1),
			`Stmt[0]/Bal[0]/Dt/Dt: connector: malformed statement: "10.03.2026" is not a date`, ErrStatementFormat},
		{"does not add up", camtDoc("02", okBalances+entry("1.00", "EUR", "CRDT")),
			"t.xml:5: Stmt[0]: connector: statement does not add up: opening 10.00 + credits 1.00 - debits 0.00 = 11.00 EUR, but the closing balance is 10.00 EUR (off by -1.00)",
			ErrUnbalanced},
		{"entry in another currency", camtDoc("02", okBalances+entry("1.00", "USD", "CRDT")),
			"entry 0 (STMT-1#1) is in USD, the statement in EUR", ErrUnbalanced},
		{"no closing balance", camtDoc("02", bal("OPBD", "10.00", "CRDT")), "no closing booked balance (CLBD)", ErrUnbalanced},
		{"duplicate entry reference", camtDoc("02", bal("OPBD", "10.00", "CRDT")+bal("CLBD", "12.00", "CRDT")+
			strings.Replace(entry("1.00", "EUR", "CRDT"), "<Sts>", "<AcctSvcrRef>R1</AcctSvcrRef><Sts>", 1)+
			strings.Replace(entry("1.00", "EUR", "CRDT"), "<Sts>", "<AcctSvcrRef>R1</AcctSvcrRef><Sts>", 1)),
			`Stmt[0]/Ntry[1]: connector: malformed statement: entry reference "R1" is also used by Stmt[0]/Ntry[0]`, ErrStatementFormat},
		{"camt.054", strings.Replace(camtDoc("02", okBalances), "camt.053", "camt.054", 1),
			"t.xml:2: Document: connector: malformed statement: not an ISO 20022 camt.053 statement", ErrStatementFormat},
		{"version 09", camtDoc("09", okBalances), "camt.053 version 001.09 is not supported", ErrStatementFormat},
		{"not well-formed", strings.Replace(camtDoc("02", okBalances), "</Stmt>", "</Stmnt>", 1),
			"not well-formed XML", ErrStatementFormat},
		{"no account", strings.Replace(camtDoc("02", okBalances), "<IBAN>DE89370400440532013000</IBAN>", "", 1),
			"Stmt[0]/Acct/Id: connector: malformed statement: the statement names no account", ErrStatementFormat},
		{"entity", strings.Replace(camtDoc("02", okBalances), "STMT-1", "&xxe;", 1), "not well-formed XML", ErrStatementFormat},
		{"empty", "  \n", "t.xml: connector: malformed statement: empty file", ErrStatementFormat},
		{"deep", camtDoc("02", strings.Repeat("<a>", 100)+strings.Repeat("</a>", 100)), "nested more than 64 deep", ErrStatementFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseStatements("t.xml", []byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error:\n got %v\nwant ...%s...", err, tt.want)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
		})
	}
}

func TestCamt053TrailingZeros(t *testing.T) {
	// Trailing zeros past the minor unit are the same value; JPY has none.
	doc := strings.ReplaceAll(camtDoc("04", bal("OPBD", "1000.000", "DBIT")+"\n"+bal("CLBD", "0", "CRDT")+`
      <Ntry><Amt Ccy="EUR">1000.00000</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts></Ntry>`), "EUR", "JPY")
	s, err := ParseStatement("yen.xml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if want := mustAmount(t, -1000, "JPY"); s.Opening != want {
		t.Errorf("opening = %v, want %v", s.Opening, want)
	}
	if s.Entries[0].Amount != mustAmount(t, 1000, "JPY") {
		t.Errorf("entry = %v", s.Entries[0].Amount)
	}
}

func TestCamt053Latin1(t *testing.T) {
	doc := strings.Replace(camtDoc("02", bal("OPBD", "1.00", "CRDT")+bal("CLBD", "1.00", "CRDT")), "UTF-8", "ISO-8859-1", 1)
	doc = strings.Replace(doc, "<Id>STMT-1</Id>", "<Id>STMT-\xe9</Id>", 1)
	s, err := ParseStatement("latin1.xml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != "STMT-é" {
		t.Errorf("id = %q", s.ID)
	}
}

func TestParseStatementCount(t *testing.T) {
	data := camt053File(t, "camt053.v2.multi.statement.xml")
	_, err := ParseStatement("multi.xml", data)
	if err == nil || !strings.Contains(err.Error(), "the file holds 2 statements, want one") {
		t.Errorf("error = %v", err)
	}
}

func TestEntryDepositReference(t *testing.T) {
	ref, other := knownRef, referenceFrom([]byte{1, 2, 3, 4, 5, 6, 7, 8})
	tests := []struct {
		name string
		e    Entry
		want Reference
	}{
		{"remittance", Entry{Credit: true, Transactions: 1, Remittance: "top up " + ref.Display()}, ref},
		{"creditor reference", Entry{Credit: true, Transactions: 1, CreditorRef: ref.String()}, ref},
		{"additional info", Entry{Credit: true, AdditionalInfo: "ZAHLUNG " + strings.ToLower(ref.String())}, ref},
		{"same in two fields", Entry{Credit: true, Remittance: ref.String(), CreditorRef: ref.String()}, ref},
		{"two different", Entry{Credit: true, Remittance: ref.String(), CreditorRef: other.String()}, ""},
		{"not across fields", Entry{Credit: true, Remittance: ref.String()[:6], CreditorRef: ref.String()[6:]}, ""},
		{"debit", Entry{Credit: false, Remittance: ref.String()}, ""},
		{"batch", Entry{Credit: true, Transactions: 2, Remittance: ref.String()}, ""},
	}
	for _, tt := range tests {
		got, ok := tt.e.DepositReference()
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%s: DepositReference() = %q, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
}
