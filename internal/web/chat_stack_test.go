package web_test

import (
	"time"

	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/support"
	"github.com/okpay/okpay/internal/support/chat"
)

// newTestChat is live chat as okpay serve builds it: staffed in the
// default business calendar's hours, by the stack's clock.
func newTestChat(db *sqlstore.DB, desk *support.Service, now func() time.Time) *chat.Service {
	return chat.New(chat.Options{Store: db.Chat(), Desk: desk, Now: now})
}
