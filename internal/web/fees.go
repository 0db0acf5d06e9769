package web

import (
	"net/http"

	"github.com/okpay/okpay/internal/fees"
	"github.com/okpay/okpay/internal/money"
)

// feeKindKeys names each kind of fee for the public page, with the
// sentence saying when it is charged.
var feeKindKeys = map[fees.Kind]string{
	fees.Transfer:          "fees.kind.transfer",
	fees.Conversion:        "fees.kind.conversion",
	fees.WithdrawalBank:    "fees.kind.withdrawal_bank",
	fees.WithdrawalEWallet: "fees.kind.withdrawal_ewallet",
	fees.DepositCard:       "fees.kind.deposit_card",
	fees.DepositBank:       "fees.kind.deposit_bank",
	fees.DepositEWallet:    "fees.kind.deposit_ewallet",
	fees.DormantMonthly:    "fees.kind.dormant_monthly",
	fees.LatePayment:       "fees.kind.late_payment",
	fees.MerchantPayment:   "fees.kind.merchant_payment",
}

var feeWhenKeys = map[fees.Kind]string{
	fees.Transfer:          "fees.when.transfer",
	fees.Conversion:        "fees.when.conversion",
	fees.WithdrawalBank:    "fees.when.withdrawal_bank",
	fees.WithdrawalEWallet: "fees.when.withdrawal_ewallet",
	fees.DepositCard:       "fees.when.deposit_card",
	fees.DepositBank:       "fees.when.deposit_bank",
	fees.DepositEWallet:    "fees.when.deposit_ewallet",
	fees.DormantMonthly:    "fees.when.dormant_monthly",
	fees.LatePayment:       "fees.when.late_payment",
	fees.MerchantPayment:   "fees.when.merchant_payment",
}

// feesData is what fees.html shows: one section per kind.
type feesData struct {
	Effective string
	Sections  []feeSection
}

type feeSection struct {
	Kind           fees.Kind
	Title, When    string
	Payer          fees.Payer
	PayerMayChoose bool
	Tiered         bool
	Rows           []feeRow
}

type feeRow struct {
	Currency   string // "" for every other currency
	From, To   money.Amount
	HasTo      bool
	Percent    string
	Fixed      money.Amount
	Min, Max   money.Amount
	HasAmounts bool // Fixed, Min and Max are in a currency
	HasMax     bool
}

var usdCurrency = money.MustCurrency("USD")

// feesPage is the public fee schedule, drawn from the same schedule the
// platform charges from.
func (s *Site) feesPage(w http.ResponseWriter, r *http.Request) {
	loc := s.Locale(r)
	d := feesData{Effective: s.fees.Effective()}
	for _, row := range s.fees.Table() {
		if n := len(d.Sections); n == 0 || d.Sections[n-1].Kind != row.Kind {
			title, when := string(row.Kind), ""
			if k, ok := feeKindKeys[row.Kind]; ok {
				title, when = loc.T(k), loc.T(feeWhenKeys[row.Kind])
			}
			d.Sections = append(d.Sections, feeSection{Kind: row.Kind, Title: title, When: when,
				Payer: row.Payer, PayerMayChoose: row.PayerMayChoose, Tiered: row.Tiers > 1})
		}
		sec := &d.Sections[len(d.Sections)-1]
		fr := feeRow{
			From: money.Amount{Minor: row.Tier.FromUSD, Currency: usdCurrency}, To: money.Amount{Minor: row.Tier.ToUSD, Currency: usdCurrency},
			HasTo: row.Tier.ToUSD > 0, Percent: row.Tier.Percent.String(),
			Fixed: row.Fixed, Min: row.Min, Max: row.Max, HasMax: row.HasMax,
		}
		if row.Currency != fees.AnyCurrency {
			fr.Currency, fr.HasAmounts = row.Currency, true
		}
		sec.Rows = append(sec.Rows, fr)
	}
	s.Render(w, r, http.StatusOK, "fees", d)
}
