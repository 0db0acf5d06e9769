package redacttest

import (
	"slices"
	"testing"
)

func TestCardLike(t *testing.T) {
	got := CardLike("card 4242 4242 4242 4242, ref 1234567890123, id 4242-4242-4242-4241, 6205500000000000004")
	if want := []string{"4242424242424242", "6205500000000000004"}; !slices.Equal(got, want) {
		t.Errorf("CardLike = %v, want %v", got, want)
	}
}

func TestCVCLike(t *testing.T) {
	for s, want := range map[string]bool{"CVC 739.": true, "739": true, "a739b": false, "17390": false, "tok_x739": false} {
		if got := CVCLike(s, "739"); got != want {
			t.Errorf("CVCLike(%q) = %v, want %v", s, got, want)
		}
	}
}
