package apikey_test

import (
	"context"
	"errors"
	"testing"

	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/money"
)

// oneKey is a store holding one key (SetDailyLimit reads it first).
type oneKey struct {
	apikey.Store
	k   apikey.Key
	set *money.Amount
}

func (s *oneKey) Key(_ context.Context, o apikey.Owner, id string) (apikey.Key, error) {
	if o != s.k.Owner || id != s.k.ID {
		return apikey.Key{}, apikey.ErrNotFound
	}
	return s.k, nil
}

func (s *oneKey) SetDailyLimit(_ context.Context, _ apikey.Owner, _ string, l money.Amount, _ audit.Event) error {
	s.set = &l
	return nil
}

type stepUp struct {
	on    bool
	token string
	want  twofactor.Action
}

func (f stepUp) Enabled(context.Context, int64) (bool, error) { return f.on, nil }
func (f stepUp) UseStepUp(_ context.Context, _ int64, token string, a twofactor.Action) error {
	if token != f.token || string(a.Hash()) != string(f.want.Hash()) {
		return twofactor.ErrStepUpRefused
	}
	return nil
}

func TestDailyLimitNeedsTheOwnersSecondFactorForThatLimit(t *testing.T) {
	ctx := context.Background()
	owner := apikey.UserOwner(42)
	usd := money.MustCurrency("USD")
	limit := money.Amount{Minor: 200_00, Currency: usd}
	approved := apikey.DailyLimitAction("key_a", limit)
	tests := []struct {
		name    string
		su      stepUp
		owner   apikey.Owner
		id      string
		limit   money.Amount
		token   string
		wantErr error
	}{
		{"approved", stepUp{on: true, token: "t", want: approved}, owner, "key_a", limit, "t", nil},
		{"no second factor", stepUp{on: false}, owner, "key_a", limit, "t", apikey.ErrTwoFactorRequired},
		{"wrong token", stepUp{on: true, token: "t", want: approved}, owner, "key_a", limit, "x", apikey.ErrStepUpRefused},
		{"token for another amount", stepUp{on: true, token: "t", want: approved}, owner, "key_a", money.Amount{Minor: 999_00, Currency: usd}, "t", apikey.ErrStepUpRefused},
		{"another user's key", stepUp{on: true, token: "t", want: approved}, apikey.UserOwner(43), "key_a", limit, "t", apikey.ErrNotFound},
		{"negative", stepUp{on: true, token: "t", want: approved}, owner, "key_a", money.Amount{Minor: -1, Currency: usd}, "t", apikey.ErrInvalid},
		{"merchant", stepUp{on: true}, apikey.Owner{Kind: apikey.OwnerMerchant, ID: "42"}, "key_a", limit, "t", apikey.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &oneKey{k: apikey.Key{ID: "key_a", Owner: owner}}
			svc := apikey.New(apikey.Options{Store: st, StepUp: tt.su})
			err := svc.SetDailyLimit(ctx, tt.owner, tt.id, tt.limit, tt.token)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (st.set != nil) {
				t.Errorf("SetDailyLimit = %v (stored %v), want %v", err, st.set, tt.wantErr)
			}
		})
	}
	if string(apikey.DailyLimitAction("key_a", limit).Hash()) == string(apikey.DailyLimitAction("key_b", limit).Hash()) ||
		string(apikey.DailyLimitAction("key_a", limit).Hash()) == string(apikey.DailyLimitAction("key_a", money.Amount{}).Hash()) {
		t.Error("the step-up action does not name the key and the limit")
	}
}

func TestOwnerUserID(t *testing.T) {
	for _, tt := range []struct {
		o    apikey.Owner
		id   int64
		isOK bool
	}{
		{apikey.UserOwner(7), 7, true},
		{apikey.Owner{Kind: apikey.OwnerMerchant, ID: "7"}, 0, false},
		{apikey.Owner{Kind: apikey.OwnerUser, ID: "x"}, 0, false},
		{apikey.Owner{Kind: apikey.OwnerUser, ID: "-3"}, -3, false},
	} {
		id, ok := tt.o.UserID()
		if ok != tt.isOK || ok && id != tt.id {
			t.Errorf("%+v.UserID() = %d, %v", tt.o, id, ok)
		}
	}
}
