package web

import (
	"context"
	"strings"

	okmail "github.com/okpay/okpay/internal/mail"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

var _ wallet.DormancyMailer = (*Mailer)(nil)

// QueueDormancyNotice implements wallet.DormancyMailer: the notice, a month
// ahead, that a dormant account's monthly fee will start, in the
// customer's language.
func (m *Mailer) QueueDormancyNotice(ctx context.Context, tx okmail.OutboxTx, a wallet.DormantAccount, n wallet.DormancyNotice, fees []money.Amount) error {
	loc, ok := m.msgs.Lookup(a.Locale)
	if !ok {
		loc = m.msgs.Default()
	}
	p := mailParts{Lang: loc.Code(), Footer: loc.T("mail.footer"), Subject: loc.T("mail.dormant.subject"),
		Before: []string{loc.T("mail.dormant.intro", "since", loc.Date(a.LastActivity.In(m.tz)), "start", loc.Date(n.FeesFrom.In(m.tz)))}}
	if len(fees) > 0 {
		amounts := make([]string, len(fees))
		for i, f := range fees {
			amounts[i] = money.Format(f, loc.Code())
		}
		p.Before = append(p.Before, loc.T("mail.dormant.fees", "fees", strings.Join(amounts, loc.T("mail.dormant.separator"))))
	}
	p.Before = append(p.Before, loc.T("mail.dormant.avoid"))
	p.Link = m.base + "/login"
	p.After = []string{loc.T("mail.dormant.schedule", "link", m.base+"/fees")}
	return m.queue(ctx, tx, a.Email, p)
}
