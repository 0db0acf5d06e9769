package web_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/sqlstore"
)

// digitRun is a run of digits, possibly grouped by single spaces or
// hyphens as people type card numbers.
var digitRun = regexp.MustCompile(`\d(?:[ -]?\d)*`)

// cardLike returns the Luhn-valid runs of 13 to 19 digits in s.
func cardLike(s string) []string {
	var found []string
	for _, run := range digitRun.FindAllString(s, -1) {
		d := strings.NewReplacer(" ", "", "-", "").Replace(run)
		if len(d) >= 13 && len(d) <= 19 && connector.LuhnValid(d) {
			found = append(found, d)
		}
	}
	return found
}

// cvcLike reports whether s holds cvc as a number of its own (not inside
// a longer run of letters or digits, as in a random token).
func cvcLike(s, cvc string) bool {
	for i := strings.Index(s, cvc); i >= 0; {
		before, after := i-1, i+len(cvc)
		alnum := func(j int) bool {
			if j < 0 || j >= len(s) {
				return false
			}
			c := s[j]
			return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		}
		if !alnum(before) && !alnum(after) {
			return true
		}
		next := strings.Index(s[i+1:], cvc)
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return false
}

// assertNoCardData scans every text and blob value of every table of a
// SQLite database (job arguments and queued mail included) and the
// captured logs for card numbers and for the security codes the test
// typed. Integer columns are left out: they hold ids, amounts and
// nanosecond times, which are often Luhn-valid by chance and cannot hold
// a typed card number.
func assertNoCardData(t *testing.T, db *sqlstore.DB, logs string, cvcs ...string) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Read().Query(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 10 {
		t.Fatalf("found only %d tables; is the scan broken?", len(tables))
	}
	check := func(where, s string) {
		if c := cardLike(s); len(c) > 0 {
			t.Errorf("%s holds a card-like number %v", where, c)
		}
		for _, cvc := range cvcs {
			if cvcLike(s, cvc) {
				t.Errorf("%s holds the security code %s", where, cvc)
			}
		}
	}
	scanned := 0
	for _, table := range tables {
		cols, err := db.Read().Query(ctx, `SELECT name FROM pragma_table_info($1)`, table)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for cols.Next() {
			var n string
			cols.Scan(&n)
			names = append(names, n)
		}
		cols.Close()
		for _, col := range names {
			vals, err := db.Read().Query(ctx, `SELECT CAST("`+col+`" AS TEXT) FROM "`+table+`" WHERE typeof("`+col+`") IN ('text', 'blob')`)
			if err != nil {
				t.Fatal(err)
			}
			for vals.Next() {
				var v []byte
				if err := vals.Scan(&v); err != nil {
					t.Fatal(err)
				}
				scanned++
				check(table+"."+col, string(v))
			}
			vals.Close()
		}
	}
	if scanned == 0 {
		t.Fatal("scanned no values")
	}
	check("the logs", logs)
}

func TestCardScanFindsWhatItLooksFor(t *testing.T) {
	for _, s := range []string{"4242424242424242", "card 4242 4242 4242 4242.", "x4000000000000002y", "6205500000000000004"} {
		if len(cardLike(s)) == 0 {
			t.Errorf("cardLike(%q) found nothing", s)
		}
	}
	for _, s := range []string{"4242424242424241", "order 2026112200001", "mv_01jx7k2m3n4p5q6r7s8t9v0w1x"} {
		if c := cardLike(s); len(c) > 0 {
			t.Errorf("cardLike(%q) = %v", s, c)
		}
	}
	if !cvcLike(`"cvc":"739"`, "739") || cvcLike("tok_ab739cd", "739") || cvcLike("1739", "739") {
		t.Error("cvcLike is wrong")
	}
}
