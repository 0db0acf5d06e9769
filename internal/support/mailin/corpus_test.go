package mailin_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/support/mailin"
)

// corpusDir finds shared/testdata/mail: ../shared/testdata/mail from the
// repository root (a checkout beside the shared folder), or the same
// folder further up (a worktree one level deeper), walking up from the
// package directory. It returns the first candidate when none exists.
func corpusDir(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	first := ""
	for {
		c := filepath.Join(dir, "shared", "testdata", "mail")
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && first == "" {
			first = filepath.Join(dir, "..", "shared", "testdata", "mail")
		}
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return first
		}
		dir = parent
	}
}

// TestRealWorldCorpusOverSMTP sends every message of the real-world
// corpus to the listener: each is accepted or refused with a clear
// reply, the listener survives them all, nothing accepted is left
// unprocessed, and the delivery reports open no ticket.
func TestRealWorldCorpusOverSMTP(t *testing.T) {
	dir := corpusDir(t)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("SKIPPING THE REAL-WORLD MAIL CORPUS: %s does not exist (it lives beside the repository in shared/testdata/mail)", dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, sqlstore.SQLite)
	sent, accepted, bounces := 0, 0, 0
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".eml") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sent++
		before := len(r.tickets())
		rowsBefore := len(r.raws())
		err = r.send("", []string{supportAddr}, string(raw))
		if err != nil {
			var rep *smtpReply
			if !errors.As(err, &rep) || rep.Code < 400 || len(strings.TrimSpace(rep.Msg)) < 10 {
				t.Errorf("%s: refused without a clear SMTP reply: %v", e.Name(), err)
			}
			continue
		}
		accepted++
		rs := r.raws()
		if len(rs) != rowsBefore+1 {
			t.Errorf("%s: accepted but %d rows stored", e.Name(), len(rs)-rowsBefore)
			continue
		}
		last := rs[len(rs)-1]
		switch last.Status {
		case mailin.StatusReceived, mailin.StatusProcessing:
			t.Errorf("%s: accepted but left %s (%s)", e.Name(), last.Status, last.Note)
		}
		if strings.HasPrefix(e.Name(), "multipart_report_emails__") {
			bounces++
			if n := len(r.tickets()); n != before {
				t.Errorf("%s: a delivery report opened a ticket", e.Name())
			}
			if last.Status != mailin.StatusBounce {
				t.Errorf("%s: stored as %s (%s), want bounce", e.Name(), last.Status, last.Note)
			}
		}
	}
	if sent < 100 {
		t.Fatalf("only %d messages in the corpus, want the 103", sent)
	}
	if bounces == 0 {
		t.Error("no delivery report in the corpus was recognised")
	}
	// The listener still answers after all of them.
	r.mustSend("after@example.com", []string{supportAddr}, msg("after@example.com", supportAddr, "still there?", "yes"))
	t.Logf("%d messages sent, %d accepted, %d delivery reports, %d tickets", sent, accepted, bounces, len(r.tickets()))
}
