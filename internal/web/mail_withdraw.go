package web

import (
	"context"
	"fmt"

	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

var _ wallet.WithdrawalMailer = (*Mailer)(nil)

// QueueWithdrawal implements wallet.WithdrawalMailer: the customer's email
// about a withdrawal that failed or came back, in their language, saying
// why, what happened to the money, and linking to the withdrawal's page.
func (m *Mailer) QueueWithdrawal(ctx context.Context, tx wallet.WithdrawTx, n wallet.WithdrawalNotice) error {
	to, locale, err := tx.UserContact(ctx, n.Withdrawal.UserID)
	if err != nil {
		return err
	}
	loc, ok := m.msgs.Lookup(locale)
	if !ok {
		loc = m.msgs.Default()
	}
	w := n.Withdrawal
	amount := money.Format(w.Amount, loc.Code())
	why := ""
	if k, ok := withdrawErrorKeys[w.FailureCode]; ok {
		why = loc.T(k)
	}
	p := mailParts{Lang: loc.Code(), Footer: loc.T("mail.footer"), Link: m.base + "/wallet/withdrawals/" + w.ID}
	switch w.Status {
	case wallet.WithdrawalFailed:
		total := money.Format(money.Amount{Minor: w.Amount.Minor + w.Fee.Minor, Currency: w.Amount.Currency}, loc.Code())
		p.Subject = loc.T("withdraw.mail.failed.subject", "amount", amount)
		p.Before = []string{loc.T("withdraw.mail.failed.body", "amount", amount, "to", w.Display, "total", total), why}
		p.After = []string{loc.T("withdraw.mail.next")}
	case wallet.WithdrawalReturned:
		p.Subject = loc.T("withdraw.mail.returned.subject", "amount", amount)
		p.Before = []string{loc.T("withdraw.mail.returned.body", "amount", amount, "to", w.Display,
			"credited", money.Format(n.Credited, loc.Code())), why}
		p.After = []string{loc.T("withdraw.mail.next")}
	default:
		return fmt.Errorf("web: no mail text for a %s withdrawal", w.Status)
	}
	return m.queue(ctx, tx.Outbox(), to, p)
}
