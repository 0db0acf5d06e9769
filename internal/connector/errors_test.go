package connector

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"testing"
)

func TestCodes(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	seen := make(map[Code]bool)
	for _, c := range Codes() {
		if !snake.MatchString(string(c)) {
			t.Errorf("code %q is not snake_case", c)
		}
		if seen[c] {
			t.Errorf("code %q listed twice", c)
		}
		seen[c] = true
	}
	// The codes the product specification names must all exist.
	for _, c := range []Code{"card_declined", "insufficient_funds", "expired_card", "incorrect_cvc",
		"incorrect_number", "processing_error", "authentication_required", "account_closed",
		"timeout", "method_not_available"} {
		if !seen[c] {
			t.Errorf("Codes() lacks %q", c)
		}
	}
}

func TestRetryable(t *testing.T) {
	for _, c := range Codes() {
		want := c == CodeProcessingError || c == CodeTimeout
		if got := c.Retryable(); got != want {
			t.Errorf("%s.Retryable() = %v, want %v", c, got, want)
		}
		err := fmt.Errorf("deposit: %w", newError(c, "x"))
		if got := Retryable(err); got != want {
			t.Errorf("Retryable(wrapped %s) = %v, want %v", c, got, want)
		}
		if got := CodeOf(err); got != c {
			t.Errorf("CodeOf(wrapped %s) = %q", c, got)
		}
	}
	if Retryable(errors.New("other")) || CodeOf(errors.New("other")) != "" {
		t.Error("a foreign error must be neither retryable nor coded")
	}
}

func TestErrorIs(t *testing.T) {
	err := fmt.Errorf("wrap: %w", &Error{Code: CodeCardDeclined, Message: "declined", ChargeID: "ch_x"})
	if !errors.Is(err, &Error{Code: CodeCardDeclined}) {
		t.Error("errors.Is by code failed")
	}
	if errors.Is(err, &Error{Code: CodeInsufficientFunds}) {
		t.Error("errors.Is matched another code")
	}
	canceled := &Error{Code: CodeProcessingError, cause: context.Canceled}
	if !errors.Is(canceled, context.Canceled) {
		t.Error("the cause is not unwrapped")
	}
	if got, want := err.Error(), "wrap: connector: card_declined: declined (charge ch_x)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
