package mail

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/okpay/okpay/internal/keyfile"
)

// DKIM signs messages for a domain (RFC 6376) with an Ed25519 or RSA key.
type DKIM struct {
	domain   string
	selector string
	key      crypto.Signer
}

// signedHeaders are the fields the signature covers. Those listed twice are
// "oversigned": a field a relay or attacker adds later breaks the
// signature, even where the message has none.
var signedHeaders = []string{
	"From", "From", "Reply-To", "Reply-To", "To", "To", "Cc", "Cc",
	"Subject", "Subject", "Date", "Date", "Message-ID", "Message-ID",
	"In-Reply-To", "References", "Auto-Submitted", "MIME-Version",
	"Content-Type", "Content-Transfer-Encoding", "Content-Language",
}

// NewDKIM returns a signer for domain under selector with key. Errors:
// ErrInvalidConfig, ErrWeakKey.
func NewDKIM(domain, selector string, key crypto.Signer) (*DKIM, error) {
	if !validDomain(domain) {
		return nil, fmt.Errorf("%w: DKIM domain %q", ErrInvalidConfig, domain)
	}
	if !validSelector(selector) {
		return nil, fmt.Errorf("%w: DKIM selector %q (letters, digits, hyphens and dots)", ErrInvalidConfig, selector)
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	return &DKIM{domain: domain, selector: selector, key: key}, nil
}

func validSelector(s string) bool {
	return validDomain(s) && len(s) <= 63
}

func checkKey(key crypto.Signer) error {
	if key == nil {
		return fmt.Errorf("%w: no key", ErrWeakKey)
	}
	switch pub := key.Public().(type) {
	case ed25519.PublicKey:
		return nil
	case *rsa.PublicKey:
		if pub.N.BitLen() < 2048 {
			return fmt.Errorf("%w: RSA key of %d bits", ErrWeakKey, pub.N.BitLen())
		}
		return nil
	default:
		return fmt.Errorf("%w: %T", ErrWeakKey, pub)
	}
}

// Domain is the signing domain (d=).
func (d *DKIM) Domain() string { return d.domain }

// Selector is the key's selector (s=).
func (d *DKIM) Selector() string { return d.selector }

// Sign returns raw with a DKIM-Signature field prepended. Headers and body
// are canonicalised "relaxed", which survives relays that refold headers or
// trim trailing spaces. The signature's t= is the wall clock: go-msgauth
// does not take an injected one.
func (d *DKIM) Sign(raw []byte) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(raw) + 600)
	err := dkim.Sign(&out, bytes.NewReader(raw), &dkim.SignOptions{
		Domain:                 d.domain,
		Selector:               d.selector,
		Signer:                 d.key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             signedHeaders,
	})
	if err != nil {
		return nil, fmt.Errorf("mail: dkim sign: %w", err)
	}
	return out.Bytes(), nil
}

// RecordName is the DNS name to publish the key under:
// selector._domainkey.domain.
func (d *DKIM) RecordName() string { return d.selector + "._domainkey." + d.domain }

// RecordValue is the DNS TXT record value to publish at RecordName, such as
// "v=DKIM1; k=rsa; p=MIIBIjAN...".
func (d *DKIM) RecordValue() string {
	v, _ := TXTRecord(d.key.Public()) // NewDKIM checked the key type
	return v
}

// ZoneLine is the record as one line of a DNS zone file, its value split
// into strings of at most 255 characters as DNS requires (an RSA-2048
// record is about 400).
func (d *DKIM) ZoneLine() string {
	v := d.RecordValue()
	var parts []string
	for len(v) > 255 {
		parts = append(parts, `"`+v[:255]+`"`)
		v = v[255:]
	}
	parts = append(parts, `"`+v+`"`)
	return d.RecordName() + ". IN TXT ( " + strings.Join(parts, " ") + " )"
}

// TXTRecord is the DKIM TXT record value for a public key (RFC 6376 3.6.1,
// RFC 8463 for Ed25519). Errors: ErrWeakKey for other key types.
func TXTRecord(pub crypto.PublicKey) (string, error) {
	switch pub := pub.(type) {
	case ed25519.PublicKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub), nil
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return "", fmt.Errorf("mail: dkim public key: %w", err)
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der), nil
	default:
		return "", fmt.Errorf("%w: %T", ErrWeakKey, pub)
	}
}

// ParseKey reads a DKIM private key from PEM: PKCS #8 ("PRIVATE KEY",
// RSA or Ed25519) or PKCS #1 ("RSA PRIVATE KEY"). Errors: ErrWeakKey and
// parse errors; they never repeat the key.
func ParseKey(pemBytes []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("mail: dkim key: no PEM block found")
	}
	var (
		key any
		err error
	)
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("mail: dkim key: PEM block %q, want PRIVATE KEY or RSA PRIVATE KEY", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("mail: dkim key: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrWeakKey, key)
	}
	if err := checkKey(signer); err != nil {
		return nil, err
	}
	return signer, nil
}

// GenerateKey makes a new RSA-2048 key, PEM-encoded (PKCS #8). RSA rather
// than Ed25519: many receivers, Gmail among them, do not yet verify
// Ed25519 signatures.
func GenerateKey() ([]byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("mail: generate dkim key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("mail: generate dkim key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// LoadKeyFile reads a PEM private key that only its owner may read. Like
// ssh with its keys, a key file others can read is refused: it is not
// secret any more.
func LoadKeyFile(path string) (crypto.Signer, error) {
	b, err := keyfile.Read(path, 64<<10)
	if err != nil {
		return nil, fmt.Errorf("mail: read dkim key: %w", err)
	}
	key, err := ParseKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return key, nil
}

// LoadOrCreateKeyFile is LoadKeyFile, except that a missing file is first
// created (mode 0600) with a fresh key: development's DKIM key, generated
// on the first start and reused afterwards so the published record stays
// valid. created tells whether it was generated now.
func LoadOrCreateKeyFile(path string) (key crypto.Signer, created bool, err error) {
	key, err = LoadKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	pemBytes, err := GenerateKey()
	if err != nil {
		return nil, false, err
	}
	b, created, err := keyfile.Create(path, pemBytes, 64<<10)
	if err != nil {
		return nil, false, fmt.Errorf("mail: write dkim key: %w", err)
	}
	key, err = ParseKey(b)
	return key, created && err == nil, err
}
