package connector

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Method is a payment method offered to a customer: a rail and, for cards,
// the brands taken.
type Method struct {
	Rail Rail `json:"rail"`
	// Brands limits a card method to these brands; empty means every brand
	// the card connector takes.
	Brands []Brand `json:"brands,omitempty"`
}

// Availability says which methods are offered in which country. It is
// configuration, not code: DefaultAvailability is the shipped JSON, and an
// operator may load another with ParseAvailability.
type Availability struct {
	// Default applies to every country not listed.
	Default []Method `json:"default"`
	// Countries maps an ISO 3166-1 alpha-2 code ("CN") to its methods.
	Countries map[string][]Method `json:"countries,omitempty"`
}

//go:embed availability.json
var defaultAvailability []byte

// DefaultAvailability returns the shipped configuration: card (UnionPay
// only), bank transfer and e-wallet in mainland China; card, bank transfer
// and e-wallet elsewhere.
func DefaultAvailability() Availability {
	a, err := ParseAvailability(defaultAvailability)
	if err != nil {
		panic(fmt.Sprintf("connector: the embedded availability.json is invalid: %v", err))
	}
	return a
}

// ParseAvailability reads an Availability from JSON, refusing unknown
// fields, rails, brands and country codes.
func ParseAvailability(data []byte) (Availability, error) {
	var a Availability
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(&a); err != nil {
		return Availability{}, fmt.Errorf("connector: availability: %w", err)
	}
	if d.More() {
		return Availability{}, fmt.Errorf("connector: availability: text after the JSON object")
	}
	if err := a.Validate(); err != nil {
		return Availability{}, err
	}
	return a, nil
}

// Validate checks that every country code is two upper-case letters, every
// rail and brand is known, brands appear only on card methods and no rail
// is listed twice for a country.
func (a Availability) Validate() error {
	if err := validateMethods("default", a.Default); err != nil {
		return err
	}
	for cc, ms := range a.Countries {
		if len(cc) != 2 || !isUpper(cc[0]) || !isUpper(cc[1]) {
			return fmt.Errorf("connector: availability: country %q is not an ISO 3166-1 alpha-2 code", cc)
		}
		if err := validateMethods(cc, ms); err != nil {
			return err
		}
	}
	return nil
}

func validateMethods(where string, ms []Method) error {
	seen := make(map[Rail]bool)
	for _, m := range ms {
		if !slices.Contains(rails, m.Rail) {
			return fmt.Errorf("connector: availability: %s: unknown rail %q", where, m.Rail)
		}
		if seen[m.Rail] {
			return fmt.Errorf("connector: availability: %s: rail %q listed twice", where, m.Rail)
		}
		seen[m.Rail] = true
		if len(m.Brands) > 0 && m.Rail != RailCard {
			return fmt.Errorf("connector: availability: %s: brands on the %s rail", where, m.Rail)
		}
		for _, b := range m.Brands {
			if !slices.Contains(brands, b) {
				return fmt.Errorf("connector: availability: %s: unknown card brand %q", where, b)
			}
		}
	}
	return nil
}

// Methods returns the methods offered to a customer in country (ISO 3166-1
// alpha-2, any case); countries cfg does not list get its Default. The
// result is a copy the caller may change.
func Methods(country string, cfg Availability) []Method {
	ms, ok := cfg.Countries[strings.ToUpper(strings.TrimSpace(country))]
	if !ok {
		ms = cfg.Default
	}
	out := make([]Method, len(ms))
	for i, m := range ms {
		out[i] = Method{Rail: m.Rail, Brands: slices.Clone(m.Brands)}
	}
	return out
}

// CheckMethod reports whether rail (and, for cards, brand; "" when not yet
// known) is offered in country, as an *Error with CodeMethodNotAvailable
// when it is not.
func CheckMethod(country string, cfg Availability, rail Rail, brand Brand) error {
	for _, m := range Methods(country, cfg) {
		if m.Rail != rail {
			continue
		}
		if rail != RailCard || brand == "" || len(m.Brands) == 0 || slices.Contains(m.Brands, brand) {
			return nil
		}
		return newError(CodeMethodNotAvailable, fmt.Sprintf("%s cards are not accepted in %s", brand, strings.ToUpper(country)))
	}
	return newError(CodeMethodNotAvailable, fmt.Sprintf("%s is not offered in %s", rail, strings.ToUpper(country)))
}
