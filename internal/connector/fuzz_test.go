package connector

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseStatement feeds arbitrary files to the statement reader: it must
// never panic, must explain every refusal with a *StatementError, and what
// it accepts must add up and hold only positive entry amounts.
func FuzzParseStatement(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(camt053Dir, "*.xml"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(sampleCSV))
	f.Add([]byte(camtDoc("08", bal("OPBD", "1.00", "CRDT")+bal("CLBD", "1.00", "CRDT"))))
	f.Add([]byte(camtDoc("02", bal("OPBD", "1.00", "CRDT")+bal("CLBD", "2.00", "CRDT")+
		`<Ntry><Amt Ccy="EUR">1.000</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts></Ntry>`)))
	f.Add([]byte("record,statement_id\n"))
	f.Add([]byte("<a/>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		stmts, err := ParseStatements("fuzz", data)
		if err != nil {
			if _, ok := errors.AsType[*StatementError](err); !ok {
				t.Fatalf("error %v (%T) is not a *StatementError", err, err)
			}
			if stmts != nil {
				t.Fatal("statements returned with an error")
			}
			return
		}
		if len(stmts) == 0 {
			t.Fatal("no statements and no error")
		}
		for _, s := range stmts {
			if err := s.Reconcile(); err != nil {
				t.Fatalf("accepted a statement that does not add up: %v", err)
			}
			for _, e := range s.Entries {
				if e.Amount.Minor < 0 || e.Ref == "" {
					t.Fatalf("entry %+v", e)
				}
			}
		}
		if _, err := DecodeStatements("fuzz", data); err != nil {
			t.Fatalf("DecodeStatements refused what ParseStatements accepted: %v", err)
		}
	})
}

// FuzzFindReference checks that whatever text FindReference is given it
// never panics and only ever returns canonical, valid references.
func FuzzFindReference(f *testing.F) {
	k := knownRef.String()
	for _, s := range []string{
		k, "Deposit " + knownRef.Display(), strings.ToLower(k), "充值" + toFullWidth(k) + "谢谢",
		"OKP", "OKPOKPOKP", "okp-iloo-0000-0", k + "X", "", "OKP\u00a07M2K 9QX4",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		ref, ok := FindReference(text)
		if ok != (ref != "") {
			t.Fatalf("FindReference(%q) = %q, %v", text, ref, ok)
		}
		if ok {
			if got, err := ParseReference(ref.String()); err != nil || got != ref {
				t.Fatalf("FindReference(%q) = %q, which does not parse back: %q, %v", text, ref, got, err)
			}
		}
		if r, err := ParseReference(text); err == nil {
			if got, ok := FindReference(text); !ok || got != r {
				t.Fatalf("ParseReference(%q) = %q but FindReference = %q, %v", text, r, got, ok)
			}
		}
	})
}
