package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/authtest"
)

func TestAuthorize(t *testing.T) {
	tests := []struct {
		actor auth.Actor
		act   auth.Action
		res   auth.Resource
		want  error
	}{
		{auth.Actor{}, auth.ActionView, auth.Resource{OwnerID: 1}, auth.ErrUnauthenticated},
		{auth.Actor{UserID: 1, Role: auth.RoleCustomer}, auth.ActionEdit, auth.Resource{OwnerID: 1}, nil},
		{auth.Actor{UserID: 2, Role: auth.RoleCustomer}, auth.ActionEdit, auth.Resource{OwnerID: 1}, auth.ErrForbidden},
		{auth.Actor{UserID: 2, Role: auth.RoleAdmin}, auth.ActionEdit, auth.Resource{OwnerID: 1}, auth.ErrForbidden},
		{auth.Actor{UserID: 2, Role: auth.RoleAgent}, auth.ActionView, auth.Resource{OwnerID: 1}, nil},
		{auth.Actor{UserID: 2, Role: auth.RoleAgent}, auth.ActionViewAudit, auth.Resource{}, auth.ErrForbidden},
		{auth.Actor{UserID: 2, Role: auth.RoleSupervisor}, auth.ActionViewAudit, auth.Resource{}, nil},
		{auth.Actor{UserID: 2, Role: auth.RoleSupervisor}, auth.ActionCreateStaff, auth.Resource{}, auth.ErrForbidden},
		{auth.Actor{UserID: 2, Role: auth.RoleAdmin}, auth.ActionCreateStaff, auth.Resource{}, nil},
		{auth.Actor{UserID: 2, Role: "root"}, auth.ActionView, auth.Resource{OwnerID: 1}, auth.ErrForbidden},
		{auth.Actor{UserID: 2, Role: auth.RoleAdmin}, "no.such.action", auth.Resource{}, auth.ErrForbidden},
	}
	for _, tt := range tests {
		if got := auth.Authorize(tt.actor, tt.act, tt.res); !errors.Is(got, tt.want) || (tt.want == nil && got != nil) {
			t.Errorf("Authorize(%+v, %s, %+v) = %v, want %v", tt.actor, tt.act, tt.res, got, tt.want)
		}
	}
	authtest.Isolation(t, 1, 2, func(a auth.Actor) error {
		return auth.Authorize(a, auth.ActionEdit, auth.Resource{Kind: "wallet", OwnerID: 1})
	})
}

func TestPasswordRules(t *testing.T) {
	for _, p := range []string{"123456", "password", "12345678", "qwerty123", "111111", "woaini1314", "5201314", "aa123456", "Password1"} {
		if _, err := auth.ValidatePassword(p); err == nil {
			t.Errorf("ValidatePassword(%q) accepted a common/short password", p)
		}
	}
	if _, err := auth.ValidatePassword("correct horse battery"); err != nil {
		t.Errorf("good password refused: %v", err)
	}
}

func TestArgon2(t *testing.T) {
	h := auth.NewArgon2(auth.TestArgon2, 1)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "secret words here")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := h.Verify(ctx, enc, "secret words here"); !ok || err != nil {
		t.Errorf("Verify(right) = %v, %v", ok, err)
	}
	if ok, _ := h.Verify(ctx, enc, "wrong"); ok {
		t.Errorf("Verify(wrong) = true")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=999999999,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "x$y"} {
		if _, err := h.Verify(ctx, bad, "x"); !errors.Is(err, auth.ErrBadHash) {
			t.Errorf("Verify(%q) = %v, want ErrBadHash", bad, err)
		}
	}
}
