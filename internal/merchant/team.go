package merchant

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CreateRequest opens a merchant on a customer account.
type CreateRequest struct {
	OwnerUserID  int64
	Name         string
	Country      string // ISO 3166-1 alpha-2, e.g. "CN"
	Currency     string // default currency, e.g. "CNY"
	SupportEmail string
	// Descriptor is what shoppers see on their statements (default: the
	// name, cut to 22 characters).
	Descriptor string
}

const (
	maxName       = 100
	maxDescriptor = 22
	maxText       = 200
	maxURL        = 2048
)

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func normEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return "", ErrInvalidEmail
	}
	return s, nil
}

// Create opens a merchant with its owner as the only member.
// Errors: ErrInvalidName, ErrInvalidCountry, ErrInvalidCurrency,
// ErrInvalidEmail, ErrInvalidDescriptor.
func (s *Service) Create(ctx context.Context, r CreateRequest) (Merchant, error) {
	name := strings.TrimSpace(r.Name)
	if name == "" || utf8.RuneCountInString(name) > maxName || !printable(name) {
		return Merchant{}, ErrInvalidName
	}
	country := strings.ToUpper(strings.TrimSpace(r.Country))
	if len(country) != 2 || country[0] < 'A' || country[0] > 'Z' || country[1] < 'A' || country[1] > 'Z' {
		return Merchant{}, ErrInvalidCountry
	}
	cur, err := s.currency(r.Currency)
	if err != nil {
		return Merchant{}, err
	}
	email, err := normEmail(r.SupportEmail)
	if err != nil {
		return Merchant{}, err
	}
	desc := strings.TrimSpace(r.Descriptor)
	if desc == "" {
		desc = string([]rune(name)[:min(utf8.RuneCountInString(name), maxDescriptor)])
	}
	if utf8.RuneCountInString(desc) > maxDescriptor || !printable(desc) {
		return Merchant{}, ErrInvalidDescriptor
	}
	if r.OwnerUserID <= 0 {
		return Merchant{}, ErrUserNotFound
	}
	id, _ := newPrefixedID(PrefixMerchant)
	now := s.nowUTC()
	m := Merchant{ID: id, Name: name, Country: country, Currency: cur, SupportEmail: email, Descriptor: desc, CreatedAt: now}
	err = s.store.InTx(context.WithoutCancel(ctx), func(tx Tx) error {
		if err := tx.InsertMerchant(ctx, m); err != nil {
			return err
		}
		_, err := tx.InsertMember(ctx, Member{MerchantID: id, UserID: r.OwnerUserID, Role: Owner, CreatedAt: now})
		return err
	})
	if err != nil {
		return Merchant{}, unavailable("create merchant", err)
	}
	return m, nil
}

// Access returns what a signed-in user may do in a merchant and mode.
// Errors: ErrNotFound when they are not a member (whether or not the
// merchant exists, so ids cannot be probed).
func (s *Service) Access(ctx context.Context, userID int64, merchantID string, mode Mode) (Access, error) {
	if !validID(PrefixMerchant, merchantID) || userID <= 0 {
		return Access{}, ErrNotFound
	}
	role, err := s.store.Role(ctx, merchantID, userID)
	if errors.Is(err, ErrNotFound) {
		return Access{}, ErrNotFound
	}
	if err != nil {
		return Access{}, unavailable("role", err)
	}
	if mode != Live {
		mode = Test
	}
	return Access{MerchantID: merchantID, Mode: mode, Role: role, UserID: userID}, nil
}

// Merchant returns the merchant a caller has access to.
func (s *Service) Merchant(ctx context.Context, a Access) (Merchant, error) {
	m, err := s.store.Merchant(ctx, a.MerchantID)
	if err != nil {
		return Merchant{}, storeErr("merchant", err)
	}
	return m, nil
}

// Memberships lists the merchants a user belongs to.
func (s *Service) Memberships(ctx context.Context, userID int64) ([]Membership, error) {
	ms, err := s.store.Memberships(ctx, userID)
	if err != nil {
		return nil, unavailable("memberships", err)
	}
	return ms, nil
}

// Members lists the team. Every member may see it.
func (s *Service) Members(ctx context.Context, a Access) ([]Member, error) {
	ms, err := s.store.Members(ctx, a.MerchantID)
	if err != nil {
		return nil, unavailable("members", err)
	}
	return ms, nil
}

// Invite adds an existing OKPay user, by email, to the team with role.
// Owners only. Errors: ErrForbidden, ErrInvalidEmail, ErrInvalidRole,
// ErrUserNotFound, ErrAlreadyMember.
func (s *Service) Invite(ctx context.Context, a Access, email string, role Role) (Member, error) {
	if !a.Role.CanManageTeam() {
		return Member{}, ErrForbidden
	}
	if _, err := ParseRole(string(role)); err != nil {
		return Member{}, err
	}
	email, err := normEmail(email)
	if err != nil {
		return Member{}, err
	}
	uid, err := s.dir.UserByEmail(ctx, email)
	if errors.Is(err, ErrUserNotFound) {
		return Member{}, ErrUserNotFound
	}
	if err != nil {
		return Member{}, unavailable("find user", err)
	}
	m := Member{MerchantID: a.MerchantID, UserID: uid, Email: email, Role: role, CreatedAt: s.nowUTC()}
	var added bool
	err = s.store.InTx(context.WithoutCancel(ctx), func(tx Tx) error {
		var err error
		added, err = tx.InsertMember(ctx, m)
		return err
	})
	if err != nil {
		return Member{}, unavailable("invite", err)
	}
	if !added {
		return Member{}, ErrAlreadyMember
	}
	return m, nil
}

// RemoveMember takes a user off the team. Owners only; the last owner
// stays. Errors: ErrForbidden, ErrNotFound, ErrLastOwner.
func (s *Service) RemoveMember(ctx context.Context, a Access, userID int64) error {
	if !a.Role.CanManageTeam() {
		return ErrForbidden
	}
	role, err := s.store.Role(ctx, a.MerchantID, userID)
	if err != nil {
		return storeErr("role", err)
	}
	err = s.store.InTx(context.WithoutCancel(ctx), func(tx Tx) error {
		if role == Owner {
			n, err := tx.CountOwners(ctx, a.MerchantID)
			if err != nil {
				return err
			}
			if n <= 1 {
				return ErrLastOwner
			}
		}
		ok, err := tx.DeleteMember(ctx, a.MerchantID, userID)
		if err == nil && !ok {
			err = ErrNotFound
		}
		return err
	})
	return storeErr("remove member", err)
}

// storeErr passes the package's errors through and wraps the rest as
// unavailable.
func storeErr(what string, err error) error {
	if err == nil || ErrorCode(err) != "" {
		return err
	}
	return unavailable(what, err)
}
