package adapt

import (
	"context"
	"time"

	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/wallet"
)

// ExchangeRates is wallet.ExchangeRates over the stored exchange rates:
// reference, cross and staff-set rates as internal/fx quotes them.
func ExchangeRates(s *fx.Service) wallet.ExchangeRates { return exchangeRates{s} }

type exchangeRates struct{ s *fx.Service }

func (r exchangeRates) Rate(ctx context.Context, from, to string, at time.Time) (wallet.ExchangeRate, error) {
	q, err := r.s.Rate(ctx, from, to, at)
	if err != nil {
		return wallet.ExchangeRate{}, err
	}
	return wallet.ExchangeRate{Rate: q.Rate, AsOf: q.AsOf, Source: string(q.Source)}, nil
}
