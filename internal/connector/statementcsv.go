package connector

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/money"
)

const formatCSV = "csv"

// CSV record kinds (the "record" column).
const (
	csvOpening = "opening"
	csvEntry   = "entry"
	csvClosing = "closing"
)

// csvColumns are the columns of OKPay's statement CSV layout, documented in
// the package comment; required ones must be present in the header.
var csvColumns = []struct {
	name     string
	required bool
}{
	{"record", true},
	{"statement_id", true},
	{"account", true},
	{"booking_date", true},
	{"value_date", false},
	{"amount", true},
	{"currency", true},
	{"credit_debit", true},
	{"status", false},
	{"entry_ref", true},
	{"end_to_end_id", false},
	{"remittance", false},
	{"counterparty_name", false},
	{"counterparty_iban", false},
}

// CSVHeader is the header line of the statement CSV layout, with every
// column in the documented order.
func CSVHeader() string {
	names := make([]string, len(csvColumns))
	for i, c := range csvColumns {
		names[i] = c.name
	}
	return strings.Join(names, ",")
}

// csvDecoder carries the file name and column positions.
type csvDecoder struct {
	file string
	col  map[string]int
}

func (c *csvDecoder) errf(line int, column, format string, args ...any) error {
	return &StatementError{File: c.file, Line: line, Path: column,
		Err: fmt.Errorf("%w: "+format, append([]any{ErrStatementFormat}, args...)...)}
}

// decodeCSV reads the statement CSV layout.
func decodeCSV(name string, data []byte) ([]Statement, []position, error) {
	c := &csvDecoder{file: name, col: make(map[string]int)}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	header, err := r.Read()
	if err != nil {
		return nil, nil, c.readErr(err)
	}
	known := make(map[string]bool)
	for _, col := range csvColumns {
		known[col.name] = true
	}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !known[h] {
			return nil, nil, c.errf(1, "", "unknown column %s in the header (want %s)", quoteText(h), CSVHeader())
		}
		if _, dup := c.col[h]; dup {
			return nil, nil, c.errf(1, "", "column %s appears twice in the header", h)
		}
		c.col[h] = i
	}
	for _, col := range csvColumns {
		if _, ok := c.col[col.name]; col.required && !ok {
			return nil, nil, c.errf(1, "", "the header has no %s column (want %s)", col.name, CSVHeader())
		}
	}

	var (
		stmts []Statement
		pos   []position
		index = make(map[string]int) // statement id -> index in stmts
	)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, c.readErr(err)
		}
		line, _ := r.FieldPos(0)
		field := func(name string) string {
			if i, ok := c.col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		id := field("statement_id")
		if id == "" {
			return nil, nil, c.errf(line, "statement_id", "empty")
		}
		account := field("account")
		if account == "" {
			return nil, nil, c.errf(line, "account", "empty")
		}
		cur, err := money.Lookup(field("currency"))
		if err != nil {
			return nil, nil, &StatementError{File: name, Line: line, Path: "currency", Err: err}
		}
		si, ok := index[id]
		if !ok {
			si = len(stmts)
			index[id] = si
			stmts = append(stmts, Statement{Format: formatCSV, ID: id, Account: account, Currency: cur})
			pos = append(pos, position{line: line, path: "statement " + id})
		}
		s := &stmts[si]
		if cur != s.Currency {
			return nil, nil, c.errf(line, "currency", "%s differs from %s earlier in statement %s", cur.Code, s.Currency.Code, id)
		}
		if account != s.Account {
			return nil, nil, c.errf(line, "account", "%s differs from %s earlier in statement %s", quoteText(account), quoteText(s.Account), id)
		}
		amt, err := money.Parse(field("amount"), cur)
		if err == nil && strings.ContainsAny(field("amount"), "+-") {
			err = fmt.Errorf("%w: the amount has no sign; credit_debit gives it", ErrStatementFormat)
		}
		if err != nil {
			return nil, nil, &StatementError{File: name, Line: line, Path: "amount", Err: err}
		}
		var credit bool
		switch v := field("credit_debit"); v {
		case "CRDT":
			credit = true
		case "DBIT":
		default:
			return nil, nil, c.errf(line, "credit_debit", "%s is neither CRDT nor DBIT", quoteText(v))
		}
		date, err := csvDate(field("booking_date"), true)
		if err != nil {
			return nil, nil, c.errf(line, "booking_date", "%v", err)
		}

		switch kind := field("record"); kind {
		case csvOpening, csvClosing:
			if !credit {
				amt.Minor = -amt.Minor
			}
			typ, slot := "OPBD", &s.Opening
			if kind == csvClosing {
				typ, slot = "CLBD", &s.Closing
			}
			if slot.Currency.Code != "" {
				return nil, nil, c.errf(line, "record", "a second %s balance in statement %s", kind, id)
			}
			*slot = amt
			s.Balances = append(s.Balances, Balance{Type: typ, Amount: amt, Date: date})
		case csvEntry:
			e := Entry{
				Ref:              field("entry_ref"),
				Amount:           amt,
				Credit:           credit,
				Status:           field("status"),
				BookingDate:      date,
				Remittance:       field("remittance"),
				EndToEndID:       field("end_to_end_id"),
				CounterpartyName: field("counterparty_name"),
				CounterpartyIBAN: strings.ToUpper(strings.ReplaceAll(field("counterparty_iban"), " ", "")),
				Transactions:     1,
			}
			if e.Ref == "" {
				return nil, nil, c.errf(line, "entry_ref", "empty: every entry needs the bank's reference")
			}
			switch e.Status {
			case "":
				e.Status = StatusBooked
			case StatusBooked, StatusPending, StatusInfo, StatusFuture:
			default:
				return nil, nil, c.errf(line, "status", "unknown status %s (want BOOK, PDNG, INFO or FUTR)", quoteText(e.Status))
			}
			if e.ValueDate, err = csvDate(field("value_date"), false); err != nil {
				return nil, nil, c.errf(line, "value_date", "%v", err)
			}
			s.Entries = append(s.Entries, e)
			pos[si].entries = append(pos[si].entries, position{line: line, path: "entry_ref"})
		default:
			return nil, nil, c.errf(line, "record", "%s is not opening, entry or closing", quoteText(kind))
		}
	}
	if len(stmts) == 0 {
		return nil, nil, c.errf(0, "", "no records after the header")
	}
	return stmts, pos, nil
}

// readErr turns a csv.Reader error into a StatementError.
func (c *csvDecoder) readErr(err error) error {
	if pe, ok := errors.AsType[*csv.ParseError](err); ok {
		return c.errf(pe.Line, "", "%v", pe.Err)
	}
	if err == io.EOF {
		return c.errf(0, "", "empty file")
	}
	return c.errf(0, "", "%v", err)
}

// csvDate reads a YYYY-MM-DD date as midnight UTC.
func csvDate(s string, required bool) (time.Time, error) {
	if s == "" {
		if required {
			return time.Time{}, errors.New("empty (want YYYY-MM-DD)")
		}
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s is not a date (YYYY-MM-DD)", quoteText(s))
	}
	return t, nil
}
