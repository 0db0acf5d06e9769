package config

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/okpay/okpay/internal/keyfile"
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
	return generateKeyFile(path)
}

func readKeyFile(path string) ([]byte, error) {
	b, err := keyfile.Read(path, 1024)
	if err != nil {
		return nil, fmt.Errorf("config: read master key: %w", err)
	}
	key, err := ParseMasterKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("config: master key file %s: %w", path, err)
	}
	return key, nil
}

// generateKeyFile writes a fresh key, or reads the one another process
// starting at the same moment wrote first.
func generateKeyFile(path string) ([]byte, error) {
	key := make([]byte, MasterKeySize)
	rand.Read(key)
	b, created, err := keyfile.Create(path, []byte(hex.EncodeToString(key)+"\n"), 1024)
	if err != nil {
		return nil, fmt.Errorf("config: write master key: %w", err)
	}
	if created {
		return key, nil
	}
	if key, err = ParseMasterKey(string(b)); err != nil {
		return nil, fmt.Errorf("config: master key file %s: %w", path, err)
	}
	return key, nil
}
