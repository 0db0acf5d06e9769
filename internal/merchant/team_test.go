package merchant_test

import (
	"context"
	"errors"
	"testing"

	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

func TestTeamRolesAndIsolation(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		mA, ownerA := en.merchant(merchant.Live)
		_, ownerB := en.merchant(merchant.Live)
		pB, _ := paid(t, en, ownerB, 50_00)

		// A's owner cannot see, capture, cancel or refund B's payment, nor
		// reach B with B's id.
		_, err := en.svc.Payment(ctx, ownerA, pB.ID)
		mustErr(t, "read another's payment", err, merchant.ErrNotFound)
		_, err = en.svc.Refund(ctx, ownerA, merchant.RefundRequest{PaymentID: pB.ID, Amount: amt(1_00)})
		mustErr(t, "refund another's payment", err, merchant.ErrNotFound)
		_, err = en.svc.Cancel(ctx, ownerA, pB.ID)
		mustErr(t, "cancel another's payment", err, merchant.ErrNotFound)
		_, err = en.svc.Access(ctx, ownerA.UserID, ownerB.MerchantID, merchant.Live)
		mustErr(t, "access to another merchant", err, merchant.ErrNotFound)

		// Invite a viewer and a developer by email.
		viewer, dev := en.user(), en.user()
		_, err = en.svc.Invite(ctx, ownerA, viewer.Email, merchant.Viewer)
		mustOK(t, "invite viewer", err)
		_, err = en.svc.Invite(ctx, ownerA, dev.Email, merchant.Developer)
		mustOK(t, "invite developer", err)
		_, err = en.svc.Invite(ctx, ownerA, viewer.Email, merchant.Developer)
		mustErr(t, "invite twice", err, merchant.ErrAlreadyMember)
		_, err = en.svc.Invite(ctx, ownerA, "nobody@example.com", merchant.Viewer)
		mustErr(t, "invite a stranger", err, merchant.ErrUserNotFound)
		_, err = en.svc.Invite(ctx, ownerA, viewer.Email, merchant.Role("admin"))
		mustErr(t, "invalid role", err, merchant.ErrInvalidRole)

		va, err := en.svc.Access(ctx, viewer.ID, mA.ID, merchant.Live)
		mustOK(t, "viewer access", err)
		da, err := en.svc.Access(ctx, dev.ID, mA.ID, merchant.Live)
		mustOK(t, "developer access", err)
		pA, _ := paid(t, en, ownerA, 50_00)
		if _, err := en.svc.Payment(ctx, va, pA.ID); err != nil {
			t.Errorf("viewer reads a payment: %v", err)
		}
		_, err = en.svc.Refund(ctx, va, merchant.RefundRequest{PaymentID: pA.ID, Amount: amt(1_00)})
		mustErr(t, "viewer refunds", err, merchant.ErrForbidden)
		_, err = en.svc.CreatePayment(ctx, va, merchant.PaymentRequest{Amount: amt(1_00)})
		mustErr(t, "viewer creates a payment", err, merchant.ErrForbidden)
		if _, err := en.svc.Refund(ctx, da, merchant.RefundRequest{PaymentID: pA.ID, Amount: amt(1_00)}); err != nil {
			t.Errorf("developer refunds: %v", err)
		}
		_, err = en.svc.Invite(ctx, da, en.user().Email, merchant.Viewer)
		mustErr(t, "developer invites", err, merchant.ErrForbidden)
		mustErr(t, "developer removes", en.svc.RemoveMember(ctx, da, viewer.ID), merchant.ErrForbidden)

		// The last owner stays; others can be removed, and lose access.
		mustErr(t, "remove the last owner", en.svc.RemoveMember(ctx, ownerA, ownerA.UserID), merchant.ErrLastOwner)
		mustOK(t, "remove viewer", en.svc.RemoveMember(ctx, ownerA, viewer.ID))
		_, err = en.svc.Access(ctx, viewer.ID, mA.ID, merchant.Live)
		mustErr(t, "removed viewer's access", err, merchant.ErrNotFound)
		members, err := en.svc.Members(ctx, ownerA)
		mustOK(t, "members", err)
		if len(members) != 2 || members[0].Role != merchant.Owner || members[1].UserID != dev.ID {
			t.Errorf("members = %+v, want the owner then the developer", members)
		}
		ms, err := en.svc.Memberships(ctx, dev.ID)
		mustOK(t, "memberships", err)
		if len(ms) != 1 || ms[0].Merchant.ID != mA.ID || ms[0].Role != merchant.Developer {
			t.Errorf("memberships = %+v", ms)
		}
	})
}

func TestCreateValidates(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		u := en.user()
		ok := merchant.CreateRequest{OwnerUserID: u.ID, Name: "茶馆", Country: "cn", Currency: "cny", SupportEmail: "Help@Tea.example"}
		for _, tc := range []struct {
			name string
			edit func(*merchant.CreateRequest)
			want error
		}{
			{"no name", func(r *merchant.CreateRequest) { r.Name = " " }, merchant.ErrInvalidName},
			{"control character", func(r *merchant.CreateRequest) { r.Name = "Tea\x00" }, merchant.ErrInvalidName},
			{"country", func(r *merchant.CreateRequest) { r.Country = "China" }, merchant.ErrInvalidCountry},
			{"currency", func(r *merchant.CreateRequest) { r.Currency = "XXX" }, merchant.ErrInvalidCurrency},
			{"email", func(r *merchant.CreateRequest) { r.SupportEmail = "not an email" }, merchant.ErrInvalidEmail},
			{"descriptor", func(r *merchant.CreateRequest) { r.Descriptor = "A descriptor far too long for statements" }, merchant.ErrInvalidDescriptor},
		} {
			r := ok
			tc.edit(&r)
			if _, err := en.svc.Create(context.Background(), r); !errors.Is(err, tc.want) {
				t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
			}
		}
		m, err := en.svc.Create(context.Background(), ok)
		mustOK(t, "create", err)
		if m.Country != "CN" || m.Currency.Code != "CNY" || m.SupportEmail != "help@tea.example" || m.Descriptor != "茶馆" {
			t.Errorf("merchant = %+v", m)
		}
	})
}

func TestFormCheckout(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		en := newEnv(t, e)
		ctx := context.Background()
		m, _ := en.merchant(merchant.Live)
		ok := merchant.FormRequest{Receiver: m.ID, Currency: "USD", ItemName: "Green tea", Amount: "12.50", Invoice: "A-7",
			ReturnURL: "https://shop.example/ok", CancelURL: "https://shop.example/cart", NotifyURL: "https://shop.example/notify"}
		for _, tc := range []struct {
			name, field string
			edit        func(*merchant.FormRequest)
		}{
			{"unknown receiver", "receiver", func(r *merchant.FormRequest) { r.Receiver = "mer_00000000000000000000000000" }},
			{"bad receiver", "receiver", func(r *merchant.FormRequest) { r.Receiver = "<script>" }},
			{"currency", "currency", func(r *merchant.FormRequest) { r.Currency = "BTC" }},
			{"negative", "amount", func(r *merchant.FormRequest) { r.Amount = "-1" }},
			{"too precise", "amount", func(r *merchant.FormRequest) { r.Amount = "1.001" }},
			{"no item", "item_name", func(r *merchant.FormRequest) { r.ItemName = "" }},
			{"javascript url", "return_url", func(r *merchant.FormRequest) { r.ReturnURL = "javascript:alert(1)" }},
			{"relative cancel", "cancel_url", func(r *merchant.FormRequest) { r.CancelURL = "/cart" }},
			{"notify with credentials", "notify_url", func(r *merchant.FormRequest) { r.NotifyURL = "https://u:p@shop.example/n" }},
		} {
			r := ok
			tc.edit(&r)
			_, err := en.svc.FormCheckout(ctx, r)
			var fe *merchant.FormError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Errorf("%s: err = %v, want a form error on %s", tc.name, err, tc.field)
			}
		}
		cs, err := en.svc.FormCheckout(ctx, ok)
		mustOK(t, "form", err)
		if !cs.Livemode || !cs.Form || cs.Amount != amt(12_50) || cs.NotifyURL != ok.NotifyURL {
			t.Errorf("session = %+v", cs)
		}
		// By the merchant's support email, in test mode.
		r := ok
		r.Receiver, r.Mode = m.SupportEmail, "test"
		cs, err = en.svc.FormCheckout(ctx, r)
		mustOK(t, "form by email", err)
		if cs.Livemode || cs.MerchantID != m.ID {
			t.Errorf("session by email = %+v", cs)
		}
	})
}
