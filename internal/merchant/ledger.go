package merchant

import (
	"context"
	"strconv"

	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
)

// Ledger account codes (ledger.Account.Code) of the merchant books.
const (
	// AccountMerchantBalance: what the platform owes a merchant, per
	// merchant, mode and currency; never below zero.
	AccountMerchantBalance uint16 = 300 + iota
	// AccountRefundable: per payment, what may still be refunded; credited
	// at capture, debited by each refund, never below zero.
	AccountRefundable
	// AccountRefundControl: the other side of every refundable account,
	// per mode and currency (its balance is minus the sum of them).
	AccountRefundControl
	// AccountTestCardClearing and AccountTestFeeRevenue are test mode's
	// own card clearing and fee revenue, so no test money reaches the
	// live books.
	AccountTestCardClearing
	AccountTestFeeRevenue
)

// Ledger transfer codes (ledger.Transfer.Code).
const (
	TransferPaymentAuth uint16 = 300 + iota // the hold; its post and void carry it too
	TransferPaymentFee
	TransferRefundableCredit
	TransferRefund
	TransferRefundableDebit
)

// MerchantBalanceRef is the ledger ref of a merchant's balance:
// "merchant:mer_...:live:USD".
func MerchantBalanceRef(merchantID string, mode Mode, currency string) string {
	return "merchant:" + merchantID + ":" + string(mode) + ":" + currency
}

// RefundableRef is the ledger ref of a payment's refundable account.
func RefundableRef(paymentID, currency string) string {
	return "payment:" + paymentID + ":refundable:" + currency
}

func (s *Service) account(ctx context.Context, a ledger.Account) (int64, error) {
	if id, ok := s.accounts.Load(a.Ref); ok {
		return id.(int64), nil
	}
	got, err := s.ledger.CreateAccount(ctx, a)
	if err != nil {
		return 0, unavailable("ledger account "+a.Ref, err)
	}
	s.accounts.Store(a.Ref, got.ID)
	return got.ID, nil
}

func (s *Service) merchantBalance(ctx context.Context, merchantID string, mode Mode, cur string) (int64, error) {
	return s.account(ctx, ledger.Account{Ref: MerchantBalanceRef(merchantID, mode, cur), Currency: cur,
		Code: AccountMerchantBalance, Flags: ledger.DebitsMustNotExceedCredits})
}

func (s *Service) cardClearing(ctx context.Context, mode Mode, cur string) (int64, error) {
	if mode == Live {
		id, err := s.wallets.CardClearing(ctx, cur)
		if err != nil {
			return 0, unavailable("card clearing", err)
		}
		return id, nil
	}
	return s.account(ctx, ledger.Account{Ref: "test:platform:card_clearing:" + cur, Currency: cur, Code: AccountTestCardClearing})
}

func (s *Service) feeRevenue(ctx context.Context, mode Mode, cur string) (int64, error) {
	if mode == Live {
		id, err := s.wallets.FeeRevenue(ctx, cur)
		if err != nil {
			return 0, unavailable("fee revenue", err)
		}
		return id, nil
	}
	return s.account(ctx, ledger.Account{Ref: "test:platform:fee_revenue:" + cur, Currency: cur, Code: AccountTestFeeRevenue})
}

func (s *Service) refundable(ctx context.Context, paymentID, cur string) (int64, error) {
	return s.account(ctx, ledger.Account{Ref: RefundableRef(paymentID, cur), Currency: cur,
		Code: AccountRefundable, Flags: ledger.DebitsMustNotExceedCredits})
}

func (s *Service) refundControl(ctx context.Context, mode Mode, cur string) (int64, error) {
	return s.account(ctx, ledger.Account{Ref: "platform:refund_control:" + string(mode) + ":" + cur, Currency: cur,
		Code: AccountRefundControl})
}

// authID is the hold of a payment's attempt.
func authID(p Payment) ledger.ID {
	return ledger.DeriveID(idBits(p.ID), "auth:"+strconv.Itoa(p.Attempt))
}

// Balance is a merchant's balance in one currency and mode.
type Balance struct {
	Currency money.Currency
	// Available is captured money less refunds and fees; Pending is what
	// is authorised and not yet captured.
	Available, Pending money.Amount
}

// Balances returns the merchant's balance in every currency it may charge
// in, for the access's mode.
func (s *Service) Balances(ctx context.Context, a Access) ([]Balance, error) {
	var out []Balance
	for _, code := range s.cfg.Currencies {
		cur, err := money.Lookup(code)
		if err != nil {
			return nil, err
		}
		id, err := s.merchantBalance(ctx, a.MerchantID, a.Mode, code)
		if err != nil {
			return nil, err
		}
		acc, err := s.ledger.Account(ctx, id)
		if err != nil {
			return nil, unavailable("balance", err)
		}
		out = append(out, Balance{Currency: cur, Available: money.Amount{Minor: acc.Available(), Currency: cur},
			Pending: money.Amount{Minor: acc.CreditsPending, Currency: cur}})
	}
	return out, nil
}
