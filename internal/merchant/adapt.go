package merchant

import (
	"context"

	"github.com/okpay/okpay/internal/fees"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

// ScheduleFees is Fees over the published fee schedule (the
// merchant_payment entry, which /fees shows).
func ScheduleFees(s *fees.Schedule) Fees { return scheduleFees{s} }

type scheduleFees struct{ s *fees.Schedule }

func (f scheduleFees) PaymentFee(amount money.Amount) (money.Amount, error) {
	q, err := f.s.Quote(fees.MerchantPayment, amount, 0)
	if err != nil {
		return money.Amount{}, err
	}
	if q.Fee.Minor > amount.Minor {
		// The schedule caps it at the amount; never trust that twice.
		return amount, nil
	}
	return q.Fee, nil
}

// FromWallet is Wallets over the wallet service: the payer's wallet
// account, and the platform's live card clearing and fee revenue.
func FromWallet(w *wallet.Service) Wallets { return walletAccounts{w} }

type walletAccounts struct{ w *wallet.Service }

func (a walletAccounts) WalletAccount(ctx context.Context, userID int64, currency string) (int64, error) {
	wl, err := a.w.Open(ctx, userID)
	if err != nil {
		return 0, err
	}
	id, ok := wl.Accounts[currency]
	if !ok {
		return 0, ErrInvalidCurrency
	}
	return id, nil
}

func (a walletAccounts) CardClearing(ctx context.Context, currency string) (int64, error) {
	return a.w.PlatformAccount(ctx, wallet.CardClearing, currency)
}

func (a walletAccounts) FeeRevenue(ctx context.Context, currency string) (int64, error) {
	return a.w.PlatformAccount(ctx, wallet.FeeRevenue, currency)
}
