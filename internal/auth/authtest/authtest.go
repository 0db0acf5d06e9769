// Package authtest helps later issues prove that one user can never reach
// another's objects.
package authtest

import (
	"errors"
	"testing"

	"github.com/okpay/okpay/internal/auth"
)

// Isolation calls reach as the owner and as another customer, both for
// the same object owned by owner: the owner must succeed and the other
// customer must get auth.ErrForbidden or auth.ErrNotFound (hiding that
// the object exists is fine). reach is the code under test — a handler or
// service call made with actor.
func Isolation(t testing.TB, owner, other int64, reach func(actor auth.Actor) error) {
	t.Helper()
	if err := reach(auth.Actor{UserID: owner, Role: auth.RoleCustomer}); err != nil {
		t.Errorf("owner %d could not reach their own object: %v", owner, err)
	}
	err := reach(auth.Actor{UserID: other, Role: auth.RoleCustomer})
	if !errors.Is(err, auth.ErrForbidden) && !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("user %d reached user %d's object: got %v, want ErrForbidden or ErrNotFound", other, owner, err)
	}
	if err := reach(auth.Actor{}); err == nil {
		t.Errorf("an anonymous actor reached user %d's object", owner)
	}
}
