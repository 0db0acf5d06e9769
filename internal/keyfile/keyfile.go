// Package keyfile reads and creates the small secret files a node keeps
// in its data directory (the development master key, the DKIM key).
//
// Invariants: a key file is readable by its owner only — one that others
// can read is refused, as ssh refuses such private keys — and a file is
// created whole or not at all, so two processes starting at once agree on
// one key and neither reads a half-written file.
package keyfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// ErrExposed reports a key file that other users can read.
var ErrExposed = errors.New("keyfile: accessible by other users")

// Read returns the file's contents, at most max bytes. Errors: ErrExposed,
// and the file system's (fs.ErrNotExist when it is missing).
func Read(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o: run chmod 600 %s", ErrExposed, path, st.Mode().Perm(), path)
	}
	return io.ReadAll(io.LimitReader(f, max))
}

// Create writes content to path (mode 0600, creating its directory 0700)
// unless the file exists. It writes a temporary file and hard-links it into
// place; when another process created the file first, Create reads theirs
// instead. It returns what the file holds and whether this call created it.
func Create(path string, content []byte, max int64) (got []byte, created bool, err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*")
	if err != nil {
		return nil, false, err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return nil, false, err
	}
	_, err = tmp.Write(content)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, false, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			got, err := Read(path, max) // another process won the race
			return got, false, err
		}
		return nil, false, err
	}
	return content, true, nil
}
