package web

import (
	"context"
	"fmt"

	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/risk"
)

var _ risk.Notifier = (*Mailer)(nil)

// Notify implements risk.Notifier: the user's email about a held
// payment, a decision on it, their report or the end of a freeze, in
// their language, linking to the movement.
func (m *Mailer) Notify(ctx context.Context, tx risk.Tx, n risk.Notice) error {
	to, locale, err := tx.UserContact(ctx, n.Case.UserID)
	if err != nil {
		return err
	}
	loc, ok := m.msgs.Lookup(locale)
	if !ok {
		loc = m.msgs.Default()
	}
	c := n.Case
	amount := ""
	if c.Amount.Currency.Code != "" {
		amount = money.Format(c.Amount, loc.Code())
	}
	p := mailParts{Lang: loc.Code(), Footer: loc.T("mail.footer")}
	if c.MovementID != "" {
		p.Link = m.base + "/wallet/movements/" + c.MovementID
	}
	switch n.Kind {
	case risk.NoticeHeld:
		p.Subject = loc.T("risk.mail.held.subject")
		p.Before = []string{loc.T("risk.mail.held.body", "amount", amount, "payee", c.Payee)}
		for _, r := range c.Reasons {
			if k, ok := riskReasonKeys[r]; ok {
				p.Before = append(p.Before, "· "+loc.T(k))
			}
		}
		p.After = []string{loc.T("risk.held.next"), loc.T("risk.mail.notyou")}
	case risk.NoticeReleased:
		p.Subject = loc.T("risk.mail.released.subject")
		p.Before = []string{loc.T("risk.mail.released.body", "amount", amount, "payee", c.Payee)}
	case risk.NoticeRefused:
		p.Subject = loc.T("risk.mail.refused.subject")
		p.Before = []string{loc.T("risk.mail.refused.body", "amount", amount, "payee", c.Payee)}
		if c.Note != "" {
			p.Before = append(p.Before, loc.T("risk.mail.staff_note", "note", c.Note))
		}
		p.After = []string{loc.T("risk.mail.contact")}
	case risk.NoticeReported:
		p.Subject = loc.T("risk.mail.reported.subject")
		p.Before = []string{loc.T("risk.mail.reported.body", "amount", amount), loc.T("risk.reported.next")}
		p.After = []string{loc.T("risk.mail.contact")}
	case risk.NoticeFreezeLifted:
		p.Subject = loc.T("risk.mail.lifted.subject")
		p.Before = []string{loc.T("risk.mail.lifted.body")}
		if c.Note != "" {
			p.Before = append(p.Before, loc.T("risk.mail.staff_note", "note", c.Note))
		}
		p.Link = m.base + "/wallet"
	default:
		return fmt.Errorf("web: no mail text for risk notice %q", n.Kind)
	}
	return m.queue(ctx, tx.Outbox(), to, p)
}
