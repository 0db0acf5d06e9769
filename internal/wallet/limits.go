package wallet

import (
	"context"
	"time"

	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/money"
)

// Limits (ACC-7): a Limiter (internal/kyc) adds to a movement's linked set
// the ledger transfers that count it against its users' limits, so the
// ledger refuses the whole movement, inside its commit, when a limit would
// be exceeded. The wallet only asks and appends: what the limits are and
// how they are kept is the Limiter's.

// LimitKind is what a movement does to the limits of one of its users.
type LimitKind string

// The kinds of limited movements.
const (
	// LimitSend: money the user sends to another user (counts against
	// the monthly send limit, and frees room under the holding limit).
	LimitSend LimitKind = "send"
	// LimitWithdraw: money the user withdraws to a bank or an external
	// wallet (the monthly withdrawal limit; frees holding room).
	LimitWithdraw LimitKind = "withdraw"
	// LimitReceive: money arriving in the user's wallet (takes room under
	// the holding limit).
	LimitReceive LimitKind = "receive"
)

// LimitMove is one user's side of a movement, for the Limiter.
type LimitMove struct {
	Kind   LimitKind
	UserID int64
	// Amount is what the user's wallet gives or gets, fees included.
	Amount money.Amount
	// USD is Amount's US-dollar equivalent at the time of the movement.
	USD money.Amount
	// Parent is the movement's 128-bit id: the Limiter derives its
	// transfer ids from it (ledger.DeriveID), so a retry never counts
	// twice.
	Parent ledger.ID
	At     time.Time
}

// Limiter counts movements against users' limits.
type Limiter interface {
	// LimitTransfers returns the transfers that count m against the
	// user's limits, for the wallet to append to the movement's linked
	// set. Their Code is one of TransferLimitSend, TransferLimitWithdraw,
	// TransferLimitHolding or TransferLimitRelease, which tells the wallet
	// which limit a refusal is. It may refuse early, before anything is
	// written, with an *Error of code CodeSendLimit, CodeWithdrawLimit or
	// CodeHoldingLimit when the limit is plainly used up (the ledger still
	// decides). It may itself submit transfers (an allowance's funding):
	// never call it inside a store transaction.
	LimitTransfers(ctx context.Context, m LimitMove) ([]ledger.Transfer, error)
}

// Ledger transfer codes of limit transfers. They are apart from the
// wallet's other codes, so either can grow without renumbering.
const (
	// TransferLimitSend debits the sender's monthly send allowance.
	TransferLimitSend uint16 = 140 + iota
	// TransferLimitWithdraw debits the monthly withdrawal allowance.
	TransferLimitWithdraw
	// TransferLimitHolding debits the receiving user's holding room.
	TransferLimitHolding
	// TransferLimitRelease credits holding room back when money leaves.
	TransferLimitRelease
	// TransferLimitFund funds an allowance or holding room from the
	// limits' control account.
	TransferLimitFund
)

// Refusals of a limit.
const (
	// CodeSendLimit: the payment would take the month's sends over the
	// sender's limit.
	CodeSendLimit Code = "send_limit_exceeded"
	// CodeWithdrawLimit: the withdrawal would take the month's
	// withdrawals over the limit.
	CodeWithdrawLimit Code = "withdraw_limit_exceeded"
	// CodeHoldingLimit: the money would take the user's balance over
	// their holding limit.
	CodeHoldingLimit Code = "holding_limit_exceeded"
	// CodeRecipientHoldingLimit: the payment would take the recipient's
	// balance over their holding limit (the sender is told no more).
	CodeRecipientHoldingLimit Code = "recipient_holding_limit_exceeded"
)

// LimitCodes lists the refusals of a limit, for the tables that
// translate them.
var LimitCodes = []Code{CodeSendLimit, CodeWithdrawLimit, CodeHoldingLimit, CodeRecipientHoldingLimit}

// usd converts a to US dollars at the current rate.
func (s *Service) usd(ctx context.Context, a money.Amount) (money.Amount, error) {
	usd := money.MustCurrency("USD")
	if a.Currency == usd {
		return a, nil
	}
	out, err := s.rates.Convert(ctx, a, usd, s.nowUTC())
	if err != nil {
		return money.Amount{}, unavailable("convert for the limits", err)
	}
	return out, nil
}

// withLimits returns plan with the limit transfers of moves appended, all
// in one linked set (every transfer but the last flagged Linked), so the
// movement and its limits commit or fail together. Without a Limiter it
// returns plan unchanged. Moves of no amount or no user are skipped. The
// first move is the mover's own; a holding refusal of another user's move
// is CodeRecipientHoldingLimit.
// Errors: the Limiter's early refusals, ErrUnavailable.
//
// Every movement that moves a customer's money calls it before its plan is
// stored: sends (LimitSend for the sender, LimitReceive for the
// recipient), card and e-wallet deposits (LimitReceive), and withdrawals
// (LimitWithdraw for the amount leaving the wallet, fee included).
func (s *Service) withLimits(ctx context.Context, parent ledger.ID, plan []ledger.Transfer, moves ...LimitMove) ([]ledger.Transfer, error) {
	if s.limiter == nil {
		return plan, nil
	}
	out := append([]ledger.Transfer(nil), plan...)
	for _, m := range moves {
		if m.UserID <= 0 || m.Amount.Minor <= 0 {
			continue
		}
		usd, err := s.usd(ctx, m.Amount)
		if err != nil {
			return nil, err
		}
		m.USD, m.Parent, m.At = usd, parent, s.nowUTC()
		extra, err := s.limiter.LimitTransfers(ctx, m)
		if ErrorCode(err) == CodeHoldingLimit && m.UserID != moves[0].UserID {
			// Another user's room: the mover is told no more than that.
			return nil, refuse(CodeRecipientHoldingLimit, "user %d", m.UserID)
		}
		if err != nil {
			return nil, storeErr("limits", err)
		}
		out = append(out, extra...)
	}
	for i := range out {
		if i < len(out)-1 {
			out[i].Flags |= ledger.Linked
		} else {
			out[i].Flags &^= ledger.Linked
		}
	}
	return out, nil
}

// limitRefusal says which limit refused a movement, when the first
// transfer the ledger refused is a limit transfer.
func (s *Service) limitRefusal(m Movement, res []ledger.Result) (Code, bool) {
	for i, r := range res {
		if r.Code.Done() || r.Code == ledger.LinkedEventFailed || i >= len(m.Plan) {
			continue
		}
		var code Code
		switch m.Plan[i].Code {
		case TransferLimitSend:
			code = CodeSendLimit
		case TransferLimitWithdraw:
			code = CodeWithdrawLimit
		case TransferLimitHolding:
			code = CodeHoldingLimit
			if m.Type == TypeSend || m.Type == TypeRequestPayment {
				code = CodeRecipientHoldingLimit
			}
		default:
			return "", false
		}
		if m.Type == TypeDeposit && m.ChargeID != "" {
			s.log.Error("wallet: a charge succeeded for a deposit its holding limit refused; refund it at the rail",
				"movement", m.ID, "charge", m.ChargeID)
		}
		return code, true
	}
	return "", false
}

// sendMoves are a send's two sides: what the sender sends, what the
// recipient receives.
func sendMoves(p sendPlan) []LimitMove {
	return []LimitMove{
		{Kind: LimitSend, UserID: p.from.UserID, Amount: p.amount},
		{Kind: LimitReceive, UserID: p.to.wallet.UserID, Amount: p.credited},
	}
}
