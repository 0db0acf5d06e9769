package wallet

import (
	"errors"
	"testing"

	"github.com/okpay/okpay/internal/ledger"
)

// The Damm table must be a quasigroup (every row and column a permutation:
// a single wrong digit always changes the result) that is weakly totally
// anti-symmetric (swapping two different adjacent digits always changes
// it), with a zero diagonal (so a valid number reduces to 0).
func TestDammTableProperties(t *testing.T) {
	for i := 0; i < 10; i++ {
		var row, col [10]bool
		for j := 0; j < 10; j++ {
			row[dammTable[i][j]] = true
			col[dammTable[j][i]] = true
		}
		for d := 0; d < 10; d++ {
			if !row[d] || !col[d] {
				t.Fatalf("row or column %d is not a permutation of 0-9", i)
			}
		}
		if dammTable[i][i] != 0 {
			t.Errorf("diagonal %d is %d, want 0", i, dammTable[i][i])
		}
	}
	for c := 0; c < 10; c++ {
		for x := 0; x < 10; x++ {
			for y := 0; y < 10; y++ {
				if x != y && dammTable[dammTable[c][x]][y] == dammTable[dammTable[c][y]][x] {
					t.Errorf("interim %d: %d%d and %d%d give the same result", c, x, y, y, x)
				}
			}
		}
	}
	// The worked example of the algorithm: 572 has check digit 4.
	if got := dammCheck("572"); got != 4 {
		t.Errorf("check digit of 572 = %d, want 4", got)
	}
	if got := dammCheck("5724"); got != 0 {
		t.Errorf("5724 reduces to %d, want 0", got)
	}
}

// Every single-digit substitution and every adjacent transposition of a
// sample of ids is rejected with the check-digit error, exhaustively per id.
func TestWalletIDCatchesTypos(t *testing.T) {
	sample := []WalletID{"OK000000000", "OK123456786"}
	for len(sample) < 500 {
		sample = append(sample, NewWalletID())
	}
	for _, id := range sample {
		if got, err := ParseWalletID(string(id)); err != nil || got != id {
			t.Fatalf("ParseWalletID(%s) = %s, %v; want it back", id, got, err)
		}
		digits := []byte(id[2:])
		for pos := range digits {
			for d := byte('0'); d <= '9'; d++ {
				if d == digits[pos] {
					continue
				}
				typo := append([]byte(nil), digits...)
				typo[pos] = d
				if _, err := ParseWalletID("OK" + string(typo)); !errors.Is(err, ErrWalletIDCheckDigit) {
					t.Fatalf("substitution %s -> OK%s: err %v, want the check-digit error", id, typo, err)
				}
			}
		}
		for pos := 0; pos+1 < len(digits); pos++ {
			if digits[pos] == digits[pos+1] {
				continue
			}
			typo := append([]byte(nil), digits...)
			typo[pos], typo[pos+1] = typo[pos+1], typo[pos]
			if _, err := ParseWalletID("OK" + string(typo)); !errors.Is(err, ErrWalletIDCheckDigit) {
				t.Fatalf("transposition %s -> OK%s: err %v, want the check-digit error", id, typo, err)
			}
		}
	}
}

func TestParseWalletIDNormalises(t *testing.T) {
	const want = WalletID("OK123456786")
	tests := []struct {
		in   string
		want WalletID
		err  error
	}{
		{"OK123456786", want, nil},
		{"ok123456786", want, nil},
		{"  Ok 1234 5678 6 ", want, nil},
		{"OK-1234-5678-6", want, nil},
		{"ＯＫ１２３４５６７８６", want, nil},              // full-width letters and digits
		{"ok\u3000１２３４\u00a05678 6", want, nil}, // ideographic and no-break spaces
		{"OK123456787", "", ErrWalletIDCheckDigit},
		{"OK213456786", "", ErrWalletIDCheckDigit},
		{"OK12345678", "", ErrInvalidWalletID},
		{"OK1234567865", "", ErrInvalidWalletID},
		{"KO123456786", "", ErrInvalidWalletID},
		{"123456786", "", ErrInvalidWalletID},
		{"OK12345678x", "", ErrInvalidWalletID},
		{"OK١٢٣٤٥٦٧٨٦", "", ErrInvalidWalletID}, // Arabic-Indic digits are not accepted
		{"", "", ErrInvalidWalletID},
	}
	for _, tt := range tests {
		got, err := ParseWalletID(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("ParseWalletID(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	if ErrorCode(ErrWalletIDCheckDigit) == ErrorCode(ErrInvalidWalletID) {
		t.Errorf("a wrong check digit must have its own code")
	}
}

func TestPrefixedIDs(t *testing.T) {
	ids := []ledger.ID{ledger.NewID(), ledger.NewID()}
	if !ValidMovementID(movementPrefix+encodeID(ids[1])) || ValidMovementID(requestPrefix+encodeID(ids[1])) {
		t.Errorf("prefixes are not told apart")
	}
}

// Every code is listed once, and ErrorFor knows each.
func TestCodesListed(t *testing.T) {
	seen := map[Code]bool{}
	for _, c := range Codes {
		if seen[c] {
			t.Errorf("code %s listed twice", c)
		}
		seen[c] = true
		if e := ErrorFor(c); e.Code != c {
			t.Errorf("ErrorFor(%s) = %s", c, e.Code)
		}
	}
	if len(byCode) != len(Codes) {
		t.Errorf("%d errors declared, %d codes listed", len(byCode), len(Codes))
	}
	for c := range byCode {
		if !seen[c] {
			t.Errorf("error with code %s is not in Codes", c)
		}
	}
}

func TestMaskDigits(t *testing.T) {
	for in, want := range map[string]string{
		"Visa •••• 4242":         "Visa •••• 4242",
		"Visa 4242424242424242":  "Visa ••••4242",
		"card 4000 0566 5566":    "card ••••5566",
		"4242-4242-4242-4242 x":  "••••4242 x",
		"exp 12/30, 4242":        "exp 12/30, 4242",
		"12345 and 678":          "••••2345 and 678",
		"alice@wallet.test":      "alice@wallet.test",
		"Mastercard ending 5555": "Mastercard ending 5555",
	} {
		if got := maskDigits(in); got != want {
			t.Errorf("maskDigits(%q) = %q, want %q", in, got, want)
		}
	}
}
