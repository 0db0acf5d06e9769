// Package walletapi is the customer wallet's part of the /v1 API: the
// balance, sending money, a sent transfer, and the paginated history, for
// a customer's own live secret keys.
//
// Invariants:
//   - Only keys owned by a user, in live mode, reach these routes; a handler
//     reads and moves only that user's money (the key's owner), so one
//     user's key never sees another's data.
//   - A transfer goes through wallet.Service.Send, the same path as the web
//     page: fees, the verification level's limits (inside the ledger
//     commit), the risk rules (a held transfer answers status "held") and
//     the large-payment rule all apply unchanged. Sends at or above the
//     large-payment threshold cannot be confirmed by a key and are refused.
//   - A key's daily send limit is counted before the send, atomically
//     (apikey.Service.Spend), and given back when the wallet refuses the
//     send or the send fails, so concurrent sends are accepted up to the
//     limit exactly and never beyond it.
//   - A POST runs once per Idempotency-Key (httpapi); the wallet's own
//     idempotency key is derived from it, so even a retry after the
//     API's record expired never sends twice.
package walletapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/httpapi"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

// Options are the wallet API's dependencies.
type Options struct {
	Wallet *wallet.Service
	Keys   *apikey.Service
	// Rates converts a send into its key's daily-limit currency.
	Rates wallet.Rates
	Now   func() time.Time
}

type api struct {
	wallet *wallet.Service
	keys   *apikey.Service
	rates  wallet.Rates
	now    func() time.Time
}

// The wallet API's error codes, besides the framework's.
const (
	CodeDailyLimit       = "daily_limit_exceeded"
	CodeInsufficient     = "insufficient_funds"
	CodeSendLimit        = "send_limit_exceeded"
	CodeLargePayment     = "large_payment_needs_confirmation"
	CodeRecipient        = "recipient_invalid"
	CodeRecipientMissing = "recipient_not_found"
	CodeSameWallet       = "same_wallet"
	CodeAmountInvalid    = "amount_invalid"
	CodeFeeExceeds       = "fee_exceeds_amount"
	CodeRefused          = "transfer_refused"
)

// Codes is the wallet API's part of the error table.
var Codes = []httpapi.ErrorCode{
	{Code: CodeDailyLimit, Status: http.StatusPaymentRequired, Type: httpapi.TypeRefused, Doc: "The transfer would take this key's sends today (platform time zone) over the daily limit its owner set; nothing was sent."},
	{Code: CodeInsufficient, Status: http.StatusPaymentRequired, Type: httpapi.TypeRefused, Doc: "The wallet's available balance does not cover the amount and fee; nothing was sent."},
	{Code: CodeSendLimit, Status: http.StatusPaymentRequired, Type: httpapi.TypeRefused, Doc: "The transfer would take this month's sends over the account's verification-level limit; verify the account to raise it."},
	{Code: CodeLargePayment, Status: http.StatusForbidden, Type: httpapi.TypeRefused, Doc: "The amount is at or above the large-payment threshold, which needs the owner's second factor: send it on the web instead."},
	{Code: CodeRecipient, Status: http.StatusBadRequest, Type: httpapi.TypeInvalidRequest, Doc: "`to` is not a wallet id (OK + 9 digits, with a correct check digit), an email address or a phone number."},
	{Code: CodeRecipientMissing, Status: http.StatusBadRequest, Type: httpapi.TypeInvalidRequest, Doc: "No OKPay user has that wallet id, email address or phone number."},
	{Code: CodeSameWallet, Status: http.StatusBadRequest, Type: httpapi.TypeInvalidRequest, Doc: "A wallet cannot send to itself."},
	{Code: CodeAmountInvalid, Status: http.StatusBadRequest, Type: httpapi.TypeInvalidRequest, Doc: "The amount is not positive, or the currency is unknown or not held by OKPay wallets."},
	{Code: CodeFeeExceeds, Status: http.StatusBadRequest, Type: httpapi.TypeInvalidRequest, Doc: "With the recipient paying the fee, the fee would take the whole amount."},
	{Code: CodeRefused, Status: http.StatusPaymentRequired, Type: httpapi.TypeRefused, Doc: "The wallet refused the transfer for another reason (the recipient's holding limit, frozen outgoing payments, …); the message names it and nothing was sent."},
}

// byWallet maps the wallet's refusals to API codes and the parameter.
var byWallet = map[wallet.Code]struct{ code, param string }{
	wallet.CodeInsufficientFunds:   {CodeInsufficient, "amount"},
	wallet.CodeSendLimit:           {CodeSendLimit, "amount"},
	wallet.CodeStepUpRequired:      {CodeLargePayment, "amount"},
	wallet.CodeTwoFactorRequired:   {CodeLargePayment, "amount"},
	wallet.CodeInvalidWalletID:     {CodeRecipient, "to"},
	wallet.CodeWalletIDCheckDigit:  {CodeRecipient, "to"},
	wallet.CodeInvalidRecipient:    {CodeRecipient, "to"},
	wallet.CodeRecipientNotFound:   {CodeRecipientMissing, "to"},
	wallet.CodeSameWallet:          {CodeSameWallet, "to"},
	wallet.CodeInvalidAmount:       {CodeAmountInvalid, "amount"},
	wallet.CodeCurrencyNotEnabled:  {CodeAmountInvalid, "currency"},
	wallet.CodeFeeExceedsAmount:    {CodeFeeExceeds, "amount"},
	wallet.CodeNoteTooLong:         {httpapi.CodeParameterInvalid, "note"},
	wallet.CodeIdempotencyKeyReuse: {httpapi.CodeIdempotencyKeyReused, ""},
}

// mapError translates the wallet's and the keys' errors.
func mapError(err error) (*httpapi.Error, bool) {
	if errors.Is(err, apikey.ErrDailyLimit) {
		return httpapi.Errorf(CodeDailyLimit, "amount", "this key's daily send limit does not leave room for this amount"), true
	}
	code := wallet.ErrorCode(err)
	if code == "" || wallet.IsRetryable(err) {
		return nil, false // internal_error, logged
	}
	if m, ok := byWallet[code]; ok {
		return httpapi.Errorf(m.code, m.param, "refused: %s", code), true
	}
	return httpapi.Errorf(CodeRefused, "", "the wallet refused the transfer: %s", code), true
}

// Register adds the wallet routes, schemas and codes to reg.
func Register(reg *httpapi.Registry, o Options) {
	a := &api{wallet: o.Wallet, keys: o.Keys, rates: o.Rates, now: o.Now}
	if a.now == nil {
		a.now = time.Now
	}
	reg.Codes(Codes...)
	reg.MapErrors(mapError)
	registerSchemas(reg)
	users := []string{apikey.OwnerUser}
	live := []apikey.Mode{apikey.Live}
	reg.Add(
		httpapi.Route{
			Method: http.MethodGet, Path: "/v1/balance", OperationID: "GetBalance", Tag: "Wallet",
			Summary: "Retrieve the wallet's balance",
			Doc:     "The balance of every currency the wallet holds: what is available to send, and what is pending (held by a withdrawal in progress or a transfer under review).",
			Scopes:  []apikey.Scope{apikey.ScopeRead}, Owners: users, Modes: live,
			Response: httpapi.Ref("Balance"), Handler: a.balance,
		},
		httpapi.Route{
			Method: http.MethodPost, Path: "/v1/transfers", OperationID: "CreateTransfer", Tag: "Wallet",
			Summary: "Send money to another OKPay user",
			Doc: "Sends from the key owner's wallet to a wallet id, email address or phone number, with the same fees, limits " +
				"and reviews as on the web. The transfer may come back `held` (under review; the money is reserved) or `failed`. " +
				"Counts against the key's daily send limit.",
			Scopes: []apikey.Scope{apikey.ScopeSend}, Owners: users, Modes: live,
			Body: httpapi.Ref("TransferCreate"), Response: httpapi.Ref("Transfer"), Handler: a.createTransfer,
			Errors: []string{CodeDailyLimit, CodeInsufficient, CodeSendLimit, CodeLargePayment, CodeRecipient, CodeRecipientMissing,
				CodeSameWallet, CodeAmountInvalid, CodeFeeExceeds, CodeRefused},
		},
		httpapi.Route{
			Method: http.MethodGet, Path: "/v1/transfers/{id}", OperationID: "GetTransfer", Tag: "Wallet",
			Summary: "Retrieve a transfer", Doc: "A transfer the key's owner sent, with its current status.",
			Scopes: []apikey.Scope{apikey.ScopeRead}, Owners: users, Modes: live,
			Params:   []httpapi.Param{{Name: "id", In: "path", Doc: "The transfer's id (tr_…).", Schema: httpapi.String("")}},
			Response: httpapi.Ref("Transfer"), Handler: a.transfer,
		},
		httpapi.Route{
			Method: http.MethodGet, Path: "/v1/history", OperationID: "ListHistory", Tag: "Wallet",
			Summary: "List the wallet's movements", Doc: "Every movement of money in or out of the wallet, newest first, paginated by movement id.",
			Scopes: []apikey.Scope{apikey.ScopeRead}, Owners: users, Modes: live,
			Params:   httpapi.ListQuery("mv_…"),
			Response: httpapi.ListSchema("A page of movements.", httpapi.Ref("Movement")), Handler: a.history,
		},
	)
}

func registerSchemas(reg *httpapi.Registry) {
	amount := func(doc string) *httpapi.Schema {
		return httpapi.Integer(doc + " In the currency's minor units (cents; yen).")
	}
	currency := httpapi.String("Three-letter ISO 4217 code, upper case.")
	currency.Pattern = "^[A-Z]{3}$"
	reg.Schema("BalanceAmount", httpapi.Object("An amount of one currency.", map[string]*httpapi.Schema{
		"amount": amount("The amount."), "currency": currency,
	}))
	reg.Schema("Balance", httpapi.Object("The wallet's balance.", map[string]*httpapi.Schema{
		"object":    httpapi.Const("balance"),
		"livemode":  httpapi.Boolean("Always true: wallet keys are live."),
		"created":   httpapi.Integer("When this balance was read (unix seconds)."),
		"available": httpapi.Array("What can be sent now, per currency.", httpapi.Ref("BalanceAmount")),
		"pending":   httpapi.Array("What is held (withdrawals in progress, transfers under review), per currency.", httpapi.Ref("BalanceAmount")),
	}))
	party := httpapi.Object("The other side.", map[string]*httpapi.Schema{
		"wallet_id": httpapi.String("Their wallet id."),
		"name":      httpapi.String("Their name, or their masked email or phone."),
	})
	create := httpapi.Object("A transfer to send.", map[string]*httpapi.Schema{
		"amount":    httpapi.Integer("The amount to send, in minor units.").Between(1, 1e15),
		"currency":  currency,
		"to":        httpapi.String("The recipient: a wallet id (OK + 9 digits), an email address or a phone number (E.164).").Len(1, 320),
		"note":      httpapi.String("A note the recipient sees.").Len(0, 1000),
		"fee_payer": httpapi.Enum("Who pays the fee (default sender).", string(wallet.PayerSender), string(wallet.PayerReceiver)),
	}, "note", "fee_payer")
	reg.Schema("TransferCreate", create)
	reg.Schema("Transfer", httpapi.Object("Money sent to another OKPay user.", map[string]*httpapi.Schema{
		"id":           httpapi.String("tr_ and 26 characters."),
		"object":       httpapi.Const("transfer"),
		"livemode":     httpapi.Boolean("Always true."),
		"created":      httpapi.Integer("Unix seconds."),
		"amount":       amount("What the recipient is sent, before fees."),
		"currency":     currency,
		"fee":          amount("The fee the sender pays (0 when the recipient pays it)."),
		"fee_payer":    httpapi.Enum("Who pays the fee.", string(wallet.PayerSender), string(wallet.PayerReceiver)),
		"to":           party,
		"note":         httpapi.String("The note."),
		"status":       httpapi.Enum("pending: being processed; held: under review, the money is reserved; completed; failed: nothing moved (see failure_code).", "pending", "held", "completed", "failed"),
		"failure_code": httpapi.Nullable(httpapi.String("Why a failed transfer failed.")),
		"movement":     httpapi.String("The sender's history entry (mv_…)."),
	}))
	reg.Schema("Movement", httpapi.Object("One entry of the wallet's history.", map[string]*httpapi.Schema{
		"id":           httpapi.String("mv_ and 26 characters."),
		"object":       httpapi.Const("movement"),
		"livemode":     httpapi.Boolean("Always true."),
		"created":      httpapi.Integer("Unix seconds."),
		"type":         httpapi.Enum("What happened.", typeNames()...),
		"status":       httpapi.Enum("Where it is.", statusNames()...),
		"amount":       amount("The amount, before fees; always positive."),
		"currency":     currency,
		"fee":          amount("The fee this wallet paid."),
		"net":          amount("What it changed the balance by (signed; 0 unless completed)."),
		"counterparty": httpapi.Nullable(party),
		"note":         httpapi.String("The note."),
		"posted":       httpapi.Nullable(httpapi.Integer("When the money moved (unix seconds)")),
		"transfer":     httpapi.Nullable(httpapi.String("The transfer (tr_…) of a send.")),
	}))
}

func typeNames() []string {
	out := make([]string, len(wallet.Types))
	for i, t := range wallet.Types {
		out[i] = string(t)
	}
	return out
}

func statusNames() []string {
	out := make([]string, len(wallet.Statuses))
	for i, s := range wallet.Statuses {
		out[i] = string(s)
	}
	return out
}

// JSON shapes.

type balanceAmount struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

type balance struct {
	Object    string          `json:"object"`
	Livemode  bool            `json:"livemode"`
	Created   int64           `json:"created"`
	Available []balanceAmount `json:"available"`
	Pending   []balanceAmount `json:"pending"`
}

type party struct {
	WalletID string `json:"wallet_id"`
	Name     string `json:"name"`
}

type transfer struct {
	ID          string  `json:"id"`
	Object      string  `json:"object"`
	Livemode    bool    `json:"livemode"`
	Created     int64   `json:"created"`
	Amount      int64   `json:"amount"`
	Currency    string  `json:"currency"`
	Fee         int64   `json:"fee"`
	FeePayer    string  `json:"fee_payer"`
	To          party   `json:"to"`
	Note        string  `json:"note"`
	Status      string  `json:"status"`
	FailureCode *string `json:"failure_code"`
	Movement    string  `json:"movement"`
}

type movement struct {
	ID           string  `json:"id"`
	Object       string  `json:"object"`
	Livemode     bool    `json:"livemode"`
	Created      int64   `json:"created"`
	Type         string  `json:"type"`
	Status       string  `json:"status"`
	Amount       int64   `json:"amount"`
	Currency     string  `json:"currency"`
	Fee          int64   `json:"fee"`
	Net          int64   `json:"net"`
	Counterparty *party  `json:"counterparty"`
	Note         string  `json:"note"`
	Posted       *int64  `json:"posted"`
	Transfer     *string `json:"transfer"`
}

// TransferID is the API id of a send movement: "tr_" and the movement's
// own 26 characters.
func TransferID(movementID string) string { return "tr_" + strings.TrimPrefix(movementID, "mv_") }

func movementID(transferID string) (string, bool) {
	rest, ok := strings.CutPrefix(transferID, "tr_")
	id := "mv_" + rest
	return id, ok && wallet.ValidMovementID(id)
}

func transferOf(m wallet.Movement) transfer {
	t := transfer{
		ID: TransferID(m.ID), Object: "transfer", Livemode: true, Created: m.CreatedAt.Unix(),
		Amount: m.Amount.Minor, Currency: m.Amount.Currency.Code, Fee: m.Fee.Minor, FeePayer: string(m.FeePayer),
		To:   party{WalletID: string(m.Counterparty.WalletID), Name: m.Counterparty.Display},
		Note: m.Note, Status: string(m.Status), Movement: m.ID,
	}
	if t.FeePayer == "" {
		t.FeePayer = string(wallet.PayerSender)
	}
	if m.Status == wallet.StatusFailed && m.FailureCode != "" {
		c := string(m.FailureCode)
		t.FailureCode = &c
	}
	return t
}

func movementOf(m wallet.Movement) movement {
	out := movement{
		ID: m.ID, Object: "movement", Livemode: true, Created: m.CreatedAt.Unix(), Type: string(m.Type), Status: string(m.Status),
		Amount: m.Amount.Minor, Currency: m.Amount.Currency.Code, Fee: m.Fee.Minor, Net: m.Net(), Note: m.Note,
	}
	if m.Counterparty.WalletID != "" || m.Counterparty.Display != "" {
		out.Counterparty = &party{WalletID: string(m.Counterparty.WalletID), Name: m.Counterparty.Display}
	}
	if !m.PostedAt.IsZero() {
		p := m.PostedAt.Unix()
		out.Posted = &p
	}
	if m.Type == wallet.TypeSend {
		t := TransferID(m.ID)
		out.Transfer = &t
	}
	return out
}

func userOf(k apikey.Key) (int64, error) {
	id, ok := k.Owner.UserID()
	if !ok {
		return 0, fmt.Errorf("walletapi: key %s is not a user's", k.ID)
	}
	return id, nil
}

func (a *api) balance(r *httpapi.Request) (any, error) {
	userID, err := userOf(r.Key)
	if err != nil {
		return nil, err
	}
	b := balance{Object: "balance", Livemode: true, Created: a.now().Unix(), Available: []balanceAmount{}, Pending: []balanceAmount{}}
	bs, err := a.wallet.Balances(r.Context(), userID)
	if errors.Is(err, wallet.ErrWalletNotFound) {
		return b, nil
	}
	if err != nil {
		return nil, err
	}
	for _, x := range bs {
		b.Available = append(b.Available, balanceAmount{x.Available.Minor, x.Currency.Code})
		b.Pending = append(b.Pending, balanceAmount{x.Pending.Minor, x.Currency.Code})
	}
	return b, nil
}

type transferCreate struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	To       string `json:"to"`
	Note     string `json:"note"`
	FeePayer string `json:"fee_payer"`
}

func (a *api) createTransfer(r *httpapi.Request) (any, error) {
	ctx := context.WithoutCancel(r.Context())
	userID, err := userOf(r.Key)
	if err != nil {
		return nil, err
	}
	var in transferCreate
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	cur, err := money.Lookup(in.Currency)
	if err != nil {
		return nil, httpapi.Errorf(CodeAmountInvalid, "currency", "unknown currency %q", in.Currency)
	}
	amount := money.Amount{Minor: in.Amount, Currency: cur}
	// The daily limit is counted first, in one atomic step, and given
	// back below when nothing was sent.
	counted := amount
	if r.Key.HasDailyLimit() && cur != r.Key.DailyLimit.Currency {
		if counted, err = a.rates.Convert(ctx, amount, r.Key.DailyLimit.Currency, a.now().UTC()); err != nil {
			return nil, fmt.Errorf("walletapi: convert for the daily limit: %w", err)
		}
	}
	spend, err := a.keys.Spend(ctx, r.Key, counted)
	if err != nil {
		return nil, err
	}
	started := a.now()
	m, err := a.wallet.Send(ctx, wallet.SendRequest{
		UserID: userID, To: in.To, Amount: amount, Note: in.Note, FeePayer: wallet.Payer(in.FeePayer),
		IdempotencyKey: walletKey(r),
	})
	// Nothing was sent: refused, failed, or an earlier send answered
	// again. A retryable failure keeps the count, as the resume job may
	// still complete the send (the limit errs on the safe side).
	if err != nil && !wallet.IsRetryable(err) || err == nil && (m.Status == wallet.StatusFailed || m.CreatedAt.Before(started)) {
		if uerr := a.keys.Unspend(ctx, spend); uerr != nil {
			return nil, errors.Join(err, uerr)
		}
	}
	if err != nil {
		return nil, err
	}
	return transferOf(m), nil
}

// walletKey is the wallet's idempotency key of a POST: derived from the
// Idempotency-Key and the request, so a retry of the same request after
// the API forgot the key still finds the first transfer, while the key
// reused a day later for another transfer sends that one.
func walletKey(r *httpapi.Request) string {
	h := sha256.Sum256([]byte(r.IdempotencyKey + "\n" + httpapi.RequestHash(r.Method, r.URL.Path, r.Body)))
	return "api:" + hex.EncodeToString(h[:])
}

func (a *api) transfer(r *httpapi.Request) (any, error) {
	userID, err := userOf(r.Key)
	if err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	mid, ok := movementID(id)
	if !ok {
		return nil, httpapi.Errorf(httpapi.CodeResourceMissing, "id", "no transfer %q", id)
	}
	m, err := a.wallet.Movement(r.Context(), userID, mid)
	if errors.Is(err, wallet.ErrMovementNotFound) || err == nil && m.Type != wallet.TypeSend {
		return nil, httpapi.Errorf(httpapi.CodeResourceMissing, "id", "no transfer %q", id)
	}
	if err != nil {
		return nil, err
	}
	return transferOf(m), nil
}

func (a *api) history(r *httpapi.Request) (any, error) {
	userID, err := userOf(r.Key)
	if err != nil {
		return nil, err
	}
	p, err := httpapi.ParseList(r.Request)
	if err != nil {
		return nil, err
	}
	for _, c := range []struct{ param, id string }{{"starting_after", p.StartingAfter}, {"ending_before", p.EndingBefore}} {
		if c.id != "" && !wallet.ValidMovementID(c.id) {
			return nil, httpapi.Errorf(httpapi.CodeResourceMissing, c.param, "no movement %q", c.id)
		}
	}
	page, err := a.wallet.History(r.Context(), wallet.History{UserID: userID, Limit: p.Limit,
		StartingAfter: p.StartingAfter, EndingBefore: p.EndingBefore})
	if errors.Is(err, wallet.ErrMovementNotFound) {
		param := "starting_after"
		if p.EndingBefore != "" {
			param = "ending_before"
		}
		return nil, httpapi.Errorf(httpapi.CodeResourceMissing, param, "no movement %q", p.StartingAfter+p.EndingBefore)
	}
	if err != nil {
		return nil, err
	}
	out := make([]movement, len(page.Movements))
	for i, m := range page.Movements {
		out[i] = movementOf(m)
	}
	return httpapi.NewList("/v1/history", out, page.More), nil
}
