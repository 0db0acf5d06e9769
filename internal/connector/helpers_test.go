package connector

import (
	"errors"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/money"
)

// t0 is a Wednesday.
var t0 = time.Date(2026, 3, 11, 10, 0, 0, 0, time.UTC)

func mustAmount(tb testing.TB, minor int64, code string) money.Amount {
	tb.Helper()
	a, err := money.New(minor, code)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func newTestClock() *clock.Settable { return clock.NewSettable(t0) }

// mustCode asserts that err is an *Error with code want and returns it.
func mustCode(tb testing.TB, err error, want Code) *Error {
	tb.Helper()
	if err == nil {
		tb.Fatalf("error = nil, want %s", want)
	}
	e, ok := errors.AsType[*Error](err)
	if !ok {
		tb.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if e.Code != want {
		tb.Fatalf("error code = %s (%v), want %s", e.Code, err, want)
	}
	return e
}

func mustNoErr(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("unexpected error: %v", err)
	}
}
