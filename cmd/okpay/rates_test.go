package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/sqlstore"
)

// requireRatesCommand skips the test while `okpay import rates` is not
// registered in app.commands().
func requireRatesCommand(t *testing.T) {
	t.Helper()
	a := &app{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: io.Discard}
	imp := a.root().Command("import")
	if imp == nil || imp.Command("rates") == nil {
		t.Skip("SKIPPING: `okpay import rates` is not registered in app.commands() (main.go) yet")
	}
}

// sharedRatesFile is the shared ECB-layout test file, or a loud skip.
func sharedRatesFile(t *testing.T) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "testdata", "fx", "eurofxref-daily.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		t.Skipf("SKIPPING: shared test data %s is missing (expected the shared/ directory beside the repository)", path)
	}
	return path
}

// storedRates counts the fx_rates rows of the database env and data name.
func storedRates(t *testing.T, env []string, data string) int {
	t.Helper()
	url := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "OKPAY_DATABASE_URL="); ok {
			url = v
		}
	}
	db, err := sqlstore.Open(context.Background(), sqlstore.Options{URL: url, DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.Read().QueryRow(context.Background(), "SELECT count(*) FROM fx_rates").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportRates(t *testing.T) {
	requireRatesCommand(t)
	file := sharedRatesFile(t)
	eachEngine(t, func(t *testing.T, env []string) {
		data := t.TempDir()
		r := okpay(t, env, "--data", data, "import", "rates", file)
		want := file + ": 1 day (2026-11-20), 8 rates: 8 imported (1 new day), 0 already present"
		if r.code != 0 || strings.TrimSpace(r.stdout) != want {
			t.Fatalf("first import: exit %d, stdout %q, stderr:\n%s\nwant exit 0 and %q", r.code, r.stdout, r.stderr, want)
		}
		r = okpay(t, env, "--data", data, "import", "rates", file)
		want = file + ": 1 day (2026-11-20), 8 rates: 0 imported (0 new days), 8 already present"
		if r.code != 0 || strings.TrimSpace(r.stdout) != want {
			t.Errorf("second import: exit %d, stdout %q, stderr:\n%s\nwant exit 0 and %q", r.code, r.stdout, r.stderr, want)
		}

		dir := t.TempDir()
		write := func(name, body string) string {
			t.Helper()
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		head := "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gesmes:Envelope xmlns:gesmes=\"http://www.gesmes.org/xml/2002-08-01\" xmlns=\"http://www.ecb.int/vocabulary/2002-08-01/eurofxref\">\n<Cube>\n"
		tail := "</Cube>\n</gesmes:Envelope>\n"

		// Malformed: refused, naming the file and the line; a good day
		// before the bad one is not stored either.
		bad := write("bad.xml", head+"<Cube time='2026-11-23'><Cube currency='USD' rate='1.05'/></Cube>\n"+
			"<Cube time='2026-11-24'><Cube currency='USD' rate='1,05'/></Cube>\n"+tail)
		r = okpay(t, env, "--data", data, "import", "rates", bad)
		if r.code != 1 || !strings.Contains(r.stderr, bad) || !strings.Contains(r.stderr, "line 5") || !strings.Contains(r.stderr, "1,05") {
			t.Errorf("malformed file: exit %d, stderr %q; want exit 1 naming %s, line 5 and the bad rate", r.code, r.stderr, bad)
		}
		// A different value for a stored day: refused as a whole.
		changed := write("changed.xml", head+"<Cube time='2026-11-23'><Cube currency='USD' rate='1.05'/></Cube>\n"+
			"<Cube time='2026-11-20'><Cube currency='USD' rate='1.0413'/></Cube>\n"+tail)
		r = okpay(t, env, "--data", data, "import", "rates", changed)
		if r.code != 1 || !strings.Contains(r.stderr, changed) || !strings.Contains(r.stderr, "1.0412") || !strings.Contains(r.stderr, "1.0413") {
			t.Errorf("conflicting file: exit %d, stderr %q; want exit 1 naming the file and both values", r.code, r.stderr)
		}
		if n := storedRates(t, env, data); n != 8 {
			t.Errorf("after the refused files the database holds %d rates, want the 8 of the first import", n)
		}

		missing := filepath.Join(dir, "nope.xml")
		if r = okpay(t, env, "--data", data, "import", "rates", missing); r.code != 1 || !strings.Contains(r.stderr, missing) {
			t.Errorf("missing file: exit %d, stderr %q; want exit 1 naming it", r.code, r.stderr)
		}
	})
}

func TestImportRatesUsage(t *testing.T) {
	requireRatesCommand(t)
	data := t.TempDir()
	for _, args := range [][]string{
		{"--data", data, "import", "rates"},
		{"--data", data, "import", "rates", "a.xml", "b.xml"},
	} {
		if r := okpay(t, nil, args...); r.code != 2 || !strings.Contains(r.stderr, "FILE") {
			t.Errorf("okpay %v: exit %d, stderr %q; want exit 2 asking for one FILE", args, r.code, r.stderr)
		}
	}
}
