package ledger

import (
	"context"
	"fmt"
	"math/big"
	"sort"
)

// Report is what Verify found.
type Report struct {
	Accounts   int
	Currencies int
	// Problems lists every discrepancy in words; empty when the ledger holds.
	Problems []string
}

// OK reports whether every check held.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// Verify recomputes every balance from the journal and checks that it
// matches the stored balances, that no constrained balance is negative, and
// that per currency the debits equal the credits.
func Verify(ctx context.Context, store Store) (Report, error) {
	rows, mismatched, err := store.VerifyRows(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("ledger: verify: %w", err)
	}
	var r Report
	r.Accounts = len(rows)
	type sums struct{ dPosted, cPosted, dPending, cPending big.Int }
	per := map[string]*sums{}
	for _, row := range rows {
		a := row.Account
		name := fmt.Sprintf("account %d (%s, %s)", a.ID, a.Ref, a.Currency)
		check := func(what string, stored, journal int64) {
			if stored != journal {
				r.Problems = append(r.Problems, fmt.Sprintf("%s: %s is %d but the journal gives %d", name, what, stored, journal))
			}
		}
		check("debits_posted", a.DebitsPosted, row.DebitsPosted)
		check("credits_posted", a.CreditsPosted, row.CreditsPosted)
		check("debits_pending", a.DebitsPending, row.DebitsPending)
		check("credits_pending", a.CreditsPending, row.CreditsPending)
		if a.DebitsPosted < 0 || a.CreditsPosted < 0 || a.DebitsPending < 0 || a.CreditsPending < 0 {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: a balance column is negative", name))
		}
		if a.Flags&DebitsMustNotExceedCredits != 0 && big.NewInt(0).Add(big.NewInt(a.DebitsPosted), big.NewInt(a.DebitsPending)).Cmp(big.NewInt(a.CreditsPosted)) > 0 {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: overdrawn: debits %d + pending %d exceed credits %d", name, a.DebitsPosted, a.DebitsPending, a.CreditsPosted))
		}
		if a.Flags&CreditsMustNotExceedDebits != 0 && big.NewInt(0).Add(big.NewInt(a.CreditsPosted), big.NewInt(a.CreditsPending)).Cmp(big.NewInt(a.DebitsPosted)) > 0 {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: credits %d + pending %d exceed debits %d", name, a.CreditsPosted, a.CreditsPending, a.DebitsPosted))
		}
		s := per[a.Currency]
		if s == nil {
			s = &sums{}
			per[a.Currency] = s
		}
		s.dPosted.Add(&s.dPosted, big.NewInt(a.DebitsPosted))
		s.cPosted.Add(&s.cPosted, big.NewInt(a.CreditsPosted))
		s.dPending.Add(&s.dPending, big.NewInt(a.DebitsPending))
		s.cPending.Add(&s.cPending, big.NewInt(a.CreditsPending))
	}
	curs := make([]string, 0, len(per))
	for c := range per {
		curs = append(curs, c)
	}
	sort.Strings(curs)
	for _, c := range curs {
		s := per[c]
		if s.dPosted.Cmp(&s.cPosted) != 0 {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: posted debits %s differ from posted credits %s", c, &s.dPosted, &s.cPosted))
		}
		if s.dPending.Cmp(&s.cPending) != 0 {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: pending debits %s differ from pending credits %s", c, &s.dPending, &s.cPending))
		}
	}
	r.Currencies = len(curs)
	for _, id := range mismatched {
		r.Problems = append(r.Problems, fmt.Sprintf("transfer %s: its currency differs from an account's", id))
	}
	return r, nil
}
