package wallet

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/money"
)

// History selects a user's movements (WAL-6).
type History struct {
	UserID int64
	// From and To bound the creation time: From ≤ CreatedAt < To; zero
	// leaves that side open.
	From, To   time.Time
	Types      []Type
	Currencies []string
	Statuses   []Status
	// Search finds a substring of the note, the counterparty (display or
	// wallet id) or the card/e-wallet description, ignoring case.
	Search string
	// Limit is the page size (default 50, at most 200).
	Limit int
	// Cursor is the Next of the previous page ("" for the first).
	Cursor string
	// StartingAfter and EndingBefore are movement ids of the user's (the
	// API's cursors): the page just older, or just newer, than that
	// movement; at most one of them, and not with Cursor.
	StartingAfter, EndingBefore string
}

// Page is one page of history, newest first, and the cursor of the next
// page ("" at the end). Pages are keyed by the last movement shown, so
// movements added meanwhile never shift a later page.
type Page struct {
	Movements []Movement
	Next      string
	// More: more movements lie beyond the page in the direction asked
	// (older, or newer for EndingBefore).
	More bool
}

const (
	defaultPage = 50
	maxPage     = 200
	maxSearch   = 100
)

func pageLimit(n int) int {
	switch {
	case n <= 0:
		return defaultPage
	case n > maxPage:
		return maxPage
	}
	return n
}

// encodeCursor makes an opaque cursor of a position.
func encodeCursor(c Cursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.CreatedAt.UnixNano(), 10) + "." + c.ID))
}

func decodeCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 100 {
		return Cursor{}, refuse(CodeInvalidCursor, "not base64")
	}
	ns, id, ok := strings.Cut(string(b), ".")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || (!ValidMovementID(id) && !ValidRequestID(id)) {
		return Cursor{}, refuse(CodeInvalidCursor, "malformed")
	}
	return Cursor{CreatedAt: time.Unix(0, n).UTC(), ID: id}, nil
}

// query checks a history filter and turns it into a store query.
func (s *Service) query(h History) (MovementQuery, error) {
	after, err := decodeCursor(h.Cursor)
	if err != nil {
		return MovementQuery{}, err
	}
	for _, t := range h.Types {
		if !slices.Contains(Types, t) {
			return MovementQuery{}, refuse(CodeInvalidFilter, "type %q", t)
		}
	}
	for _, st := range h.Statuses {
		if !slices.Contains(Statuses, st) {
			return MovementQuery{}, refuse(CodeInvalidFilter, "status %q", st)
		}
	}
	curs := make([]string, 0, len(h.Currencies))
	for _, c := range h.Currencies {
		cur, err := money.Lookup(c)
		if err != nil {
			return MovementQuery{}, refuse(CodeInvalidFilter, "currency %q", c)
		}
		curs = append(curs, cur.Code)
	}
	if !h.From.IsZero() && !h.To.IsZero() && !h.From.Before(h.To) {
		return MovementQuery{}, refuse(CodeInvalidFilter, "from %s is not before to %s", h.From, h.To)
	}
	search := strings.TrimSpace(h.Search)
	if utf8.RuneCountInString(search) > maxSearch || !utf8.ValidString(search) {
		return MovementQuery{}, refuse(CodeInvalidFilter, "search too long")
	}
	return MovementQuery{
		UserID: h.UserID, From: h.From, To: h.To, Types: h.Types, Currencies: curs, Statuses: h.Statuses,
		Search: SearchText(search), After: after, Limit: pageLimit(h.Limit),
	}, nil
}

// SearchText is how the store folds text for search: lower case, so a
// search ignores case on both engines.
func SearchText(s string) string { return strings.ToLower(s) }

// History lists the user's movements matching h, newest first. Errors:
// ErrInvalidCursor, ErrInvalidFilter.
func (s *Service) History(ctx context.Context, h History) (Page, error) {
	q, err := s.query(h)
	if err != nil {
		return Page{}, err
	}
	// A movement id as cursor: the position is that movement's, found
	// among the user's own (another user's id is not found).
	for _, c := range []struct {
		id string
		to *Cursor
	}{{h.StartingAfter, &q.After}, {h.EndingBefore, &q.Before}} {
		if c.id == "" {
			continue
		}
		if h.Cursor != "" || h.StartingAfter != "" && h.EndingBefore != "" {
			return Page{}, refuse(CodeInvalidCursor, "more than one cursor")
		}
		m, err := s.Movement(ctx, h.UserID, c.id)
		if err != nil {
			return Page{}, err
		}
		*c.to = Cursor{CreatedAt: m.CreatedAt, ID: m.ID}
	}
	return s.page(ctx, q)
}

func (s *Service) page(ctx context.Context, q MovementQuery) (Page, error) {
	limit := q.Limit
	q.Limit++
	ms, err := s.store.Movements(ctx, q)
	if err != nil {
		return Page{}, unavailable("history", err)
	}
	var p Page
	if len(ms) > limit {
		ms = ms[:limit]
		p.More = true
		if q.Before.IsZero() {
			last := ms[len(ms)-1]
			p.Next = encodeCursor(Cursor{CreatedAt: last.CreatedAt, ID: last.ID})
		}
	}
	if !q.Before.IsZero() {
		// The store returned them oldest first, nearest the cursor first.
		slices.Reverse(ms)
	}
	p.Movements = ms
	return p, nil
}

// CSVHeader is the header row of ExportCSV.
var CSVHeader = []string{
	"created_at", "id", "type", "status", "currency", "amount", "fee", "net",
	"counterparty", "counterparty_wallet", "method", "note", "failure_code", "posted_at",
}

// ExportCSV writes every movement matching h (ignoring its Limit and
// Cursor) as RFC 4180 CSV, newest first, with CSVHeader first. Amounts are
// decimal strings in the currency's minor units ("-12.50", "100" for JPY):
// amount is signed (negative when money left the wallet), fee is what the
// wallet paid, net the balance change (zero unless completed). Times are in
// the platform's time zone. Text a spreadsheet would run as a formula
// (starting with = + - @, tab or carriage return) is prefixed with an
// apostrophe. Errors: those of History, and w's.
func (s *Service) ExportCSV(ctx context.Context, w io.Writer, h History) error {
	h.Cursor, h.Limit = "", maxPage
	q, err := s.query(h)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for {
		p, err := s.page(ctx, q)
		if err != nil {
			return err
		}
		for _, m := range p.Movements {
			if err := cw.Write(s.csvRow(m)); err != nil {
				return err
			}
		}
		if p.Next == "" {
			break
		}
		if q.After, err = decodeCursor(p.Next); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func (s *Service) csvRow(m Movement) []string {
	amount := m.Amount
	if !m.Type.Inflow() {
		amount.Minor = -amount.Minor
	}
	posted := ""
	if !m.PostedAt.IsZero() {
		posted = m.PostedAt.In(s.cfg.Location).Format(time.DateTime)
	}
	method := string(m.Method)
	if m.MethodDisplay != "" {
		method = m.MethodDisplay
	}
	return []string{
		m.CreatedAt.In(s.cfg.Location).Format(time.DateTime),
		m.ID,
		string(m.Type),
		string(m.Status),
		m.Amount.Currency.Code,
		amount.Decimal(),
		m.Fee.Decimal(),
		money.Amount{Minor: m.Net(), Currency: m.Amount.Currency}.Decimal(),
		CSVSafe(m.Counterparty.Display),
		string(m.Counterparty.WalletID),
		CSVSafe(method),
		CSVSafe(m.Note),
		string(m.FailureCode),
		posted,
	}
}

// CSVSafe defuses text that a spreadsheet would evaluate as a formula
// (OWASP "CSV injection"): a leading = + - @, tab or carriage return gets
// an apostrophe in front, which spreadsheets show as text.
func CSVSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	// Full-width look-alikes are read as formulas by some spreadsheets.
	r, _ := utf8.DecodeRuneInString(s)
	switch r {
	case '＝', '＋', '－', '＠':
		return "'" + s
	}
	return s
}
