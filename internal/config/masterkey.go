package config

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// MasterKeySize is the length of the master key in bytes (AES-256).
const MasterKeySize = 32

// ParseMasterKey decodes a master key written as 64 hex digits or as
// base64 (standard or URL alphabet, padded or not). Errors never repeat
// the key.
func ParseMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*MasterKeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) == MasterKeySize {
				return b, nil
			}
			return nil, fmt.Errorf("master key must be %d bytes, got %d (generate one with `openssl rand -hex 32`)", MasterKeySize, len(b))
		}
	}
	return nil, fmt.Errorf("master key must be %d bytes written as %d hex digits or base64 (got %d characters that are neither)", MasterKeySize, 2*MasterKeySize, len(s))
}

// MasterKeyFile is where development keeps its generated master key.
func (c Config) MasterKeyFile() string { return filepath.Join(c.DataDir, "master.key") }

// LoadMasterKey returns the key that encrypts secrets at rest:
// OKPAY_MASTER_KEY when it was given; in production, an error without it;
// in development, the key in DataDir/master.key, generated (mode 0600) on
// first use and reused afterwards, so secrets stay readable across restarts.
func LoadMasterKey(c Config) ([]byte, error) {
	if c.MasterKey != nil {
		if len(c.MasterKey) != MasterKeySize {
			return nil, fmt.Errorf("config: %s must be %d bytes, got %d", EnvMasterKey, MasterKeySize, len(c.MasterKey))
		}
		return c.MasterKey, nil
	}
	if c.Env != Development {
		return nil, fmt.Errorf("config: %s is required in %s (32 random bytes, base64 or hex)", EnvMasterKey, c.Env)
	}
	path := c.MasterKeyFile()
	key, err := readKeyFile(path)
	if err == nil {
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return generateKeyFile(c.DataDir, path)
}

func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: read master key: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("config: read master key: %w", err)
	}
	// Like ssh with its private keys: a key others can read is not secret.
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("config: master key file %s is accessible by other users (mode %04o): run chmod 600 %s", path, st.Mode().Perm(), path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return nil, fmt.Errorf("config: read master key %s: %w", path, err)
	}
	key, err := ParseMasterKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("config: master key file %s: %w", path, err)
	}
	return key, nil
}

// generateKeyFile writes a fresh key to a temporary file and hard-links it
// into place, so two processes starting at once agree on one key and none
// ever reads a half-written file.
func generateKeyFile(dir, path string) ([]byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("config: create data dir: %w", err)
	}
	key := make([]byte, MasterKeySize)
	rand.Read(key)
	tmp, err := os.CreateTemp(dir, ".master.key-*")
	if err != nil {
		return nil, fmt.Errorf("config: write master key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return nil, fmt.Errorf("config: write master key: %w", err)
	}
	_, err = tmp.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("config: write master key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readKeyFile(path) // another process won the race
		}
		return nil, fmt.Errorf("config: write master key: %w", err)
	}
	return key, nil
}
