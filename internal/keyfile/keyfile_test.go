package keyfile_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/okpay/okpay/internal/keyfile"
)

func TestReadRefusesExposedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	if err := os.WriteFile(path, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := keyfile.Read(path, 64); !errors.Is(err, keyfile.ErrExposed) {
		t.Fatalf("Read of a 0644 file: %v, want ErrExposed", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := keyfile.Read(path, 3)
	if err != nil || string(got) != "sec" {
		t.Fatalf("Read(max 3) = %q, %v; want \"sec\"", got, err)
	}
	if _, err := keyfile.Read(filepath.Join(t.TempDir(), "missing"), 64); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read of a missing file: %v, want fs.ErrNotExist", err)
	}
}

// TestCreateRace: processes starting at once end up with one key.
func TestCreateRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "key")
	const n = 8
	var wg sync.WaitGroup
	got := make([][]byte, n)
	created := make([]bool, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			got[i], created[i], err = keyfile.Create(path, []byte{byte('a' + i)}, 64)
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	winners := 0
	for i := range n {
		if created[i] {
			winners++
		}
		if string(got[i]) != string(got[0]) {
			t.Errorf("caller %d got %q, caller 0 got %q", i, got[i], got[0])
		}
	}
	if winners != 1 {
		t.Errorf("%d callers created the file, want 1", winners)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", st.Mode().Perm())
	}
}
