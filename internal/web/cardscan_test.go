package web_test

import (
	"context"
	"testing"

	"github.com/okpay/okpay/internal/redact/redacttest"
	"github.com/okpay/okpay/internal/sqlstore"
)

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
		if c := redacttest.CardLike(s); len(c) > 0 {
			t.Errorf("%s holds a card-like number %v", where, c)
		}
		for _, cvc := range cvcs {
			if redacttest.CVCLike(s, cvc) {
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
		if len(redacttest.CardLike(s)) == 0 {
			t.Errorf("redacttest.CardLike(%q) found nothing", s)
		}
	}
	for _, s := range []string{"4242424242424241", "order 2026112200001", "mv_01jx7k2m3n4p5q6r7s8t9v0w1x"} {
		if c := redacttest.CardLike(s); len(c) > 0 {
			t.Errorf("redacttest.CardLike(%q) = %v", s, c)
		}
	}
	if !redacttest.CVCLike(`"cvc":"739"`, "739") || redacttest.CVCLike("tok_ab739cd", "739") || redacttest.CVCLike("1739", "739") {
		t.Error("cvcLike is wrong")
	}
}
