package mail_test

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/okpay/okpay/internal/mail"
)

func TestDKIMSignatureVerifies(t *testing.T) {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string]crypto.Signer{"rsa": testKey(), "ed25519": edKey} {
		t.Run(name, func(t *testing.T) {
			d := mustDKIM(t, key)
			ob := mustOutbox(t, mail.Options{DKIM: d})
			s, err := ob.Compose(verifyMessage())
			if err != nil {
				t.Fatalf("Compose: %v", err)
			}
			if !bytes.HasPrefix(s.Raw, []byte("DKIM-Signature: ")) {
				t.Fatalf("message does not start with a DKIM-Signature field:\n%.200s", s.Raw)
			}
			mustVerifyDKIM(t, s.Raw, d)

			sig := rawHeader(t, s.Raw, "DKIM-Signature")
			for _, want := range []string{"c=relaxed/relaxed", "d=okpay.example", "s=s2030", "a=" + name + "-sha256"} {
				if !strings.Contains(sig, want) {
					t.Errorf("DKIM-Signature lacks %q: %s", want, sig)
				}
			}

			// The verifier must notice a change: a tampered subject, or a
			// From added above the signed one.
			for what, tampered := range map[string][]byte{
				"subject": bytes.Replace(s.Raw, []byte("Subject: =?utf-8?b?"), []byte("Subject: =?utf-8?b?5Y+R"), 1),
				"body":    bytes.Replace(s.Raw, []byte("\r\n\r\n--=_okpay"), []byte("\r\n\r\nextra\r\n--=_okpay"), 1),
				"from":    append([]byte("From: attacker@evil.example\r\n"), s.Raw...),
			} {
				vs, err := dkim.VerifyWithOptions(bytes.NewReader(tampered), &dkim.VerifyOptions{LookupTXT: lookupTXT(d)})
				if err != nil {
					t.Fatalf("verify tampered %s: %v", what, err)
				}
				if len(vs) != 1 || vs[0].Err == nil {
					t.Errorf("message with a tampered %s still verifies", what)
				}
			}
		})
	}
}

func TestDKIMRecord(t *testing.T) {
	d := mustDKIM(t, testKey())
	if got, want := d.RecordName(), "s2030._domainkey.okpay.example"; got != want {
		t.Errorf("RecordName = %q, want %q", got, want)
	}
	v := d.RecordValue()
	if !strings.HasPrefix(v, "v=DKIM1; k=rsa; p=MII") {
		t.Errorf("RecordValue = %q, want v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>", v)
	}
	line := d.ZoneLine()
	if !strings.HasPrefix(line, "s2030._domainkey.okpay.example. IN TXT ( \"v=DKIM1; k=rsa; p=") {
		t.Errorf("ZoneLine = %q", line)
	}
	// Each DNS character-string holds at most 255 octets; together they
	// are the value.
	inner := strings.TrimSuffix(strings.TrimPrefix(line, d.RecordName()+". IN TXT ( "), " )")
	var joined string
	for _, part := range strings.Split(inner, `" "`) {
		part = strings.Trim(part, `"`)
		if len(part) > 255 {
			t.Errorf("zone string of %d octets, at most 255", len(part))
		}
		joined += part
	}
	if joined != v {
		t.Errorf("zone strings join to %q, want %q", joined, v)
	}

	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	if got := mustDKIM(t, edKey).RecordValue(); !strings.HasPrefix(got, "v=DKIM1; k=ed25519; p=") || len(got) != len("v=DKIM1; k=ed25519; p=")+44 {
		t.Errorf("Ed25519 RecordValue = %q, want the 32-byte key in base64", got)
	}
}

func TestDKIMRefusesWeakKeysAndBadNames(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mail.NewDKIM("okpay.example", "s1", small); !errors.Is(err, mail.ErrWeakKey) {
		t.Errorf("NewDKIM with RSA-1024 = %v, want ErrWeakKey", err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(small)
	if _, err := mail.ParseKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); !errors.Is(err, mail.ErrWeakKey) {
		t.Errorf("ParseKey with RSA-1024 = %v, want ErrWeakKey", err)
	}
	for _, tc := range [][2]string{{"okpay example", "s1"}, {"okpay.example", ""}, {"okpay.example", "a;b"}} {
		if _, err := mail.NewDKIM(tc[0], tc[1], testKey()); !errors.Is(err, mail.ErrInvalidConfig) {
			t.Errorf("NewDKIM(%q, %q) = %v, want ErrInvalidConfig", tc[0], tc[1], err)
		}
	}
}

func TestParseKeyFormats(t *testing.T) {
	rsaKey := testKey().(*rsa.PrivateKey)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})
	if k, err := mail.ParseKey(pkcs1); err != nil || !rsaKey.Equal(k) {
		t.Errorf("ParseKey(PKCS #1) = %v, want the key", err)
	}
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(ed)
	if k, err := mail.ParseKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil || !ed.Equal(k) {
		t.Errorf("ParseKey(Ed25519 PKCS #8) = %v, want the key", err)
	}
	for _, bad := range []string{"", "not pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"} {
		if _, err := mail.ParseKey([]byte(bad)); err == nil {
			t.Errorf("ParseKey(%q) succeeded", bad)
		}
	}
}

func TestDevelopmentKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "dkim.key")
	first, created, err := mail.LoadOrCreateKeyFile(path)
	if err != nil || !created {
		t.Fatalf("first LoadOrCreateKeyFile = created %v, %v; want a new key", created, err)
	}
	if runtime.GOOS != "windows" {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("key file mode %04o, want 0600", st.Mode().Perm())
		}
	}
	second, created, err := mail.LoadOrCreateKeyFile(path)
	if err != nil || created {
		t.Fatalf("second LoadOrCreateKeyFile = created %v, %v; want the stored key", created, err)
	}
	if !first.(*rsa.PrivateKey).Equal(second) {
		t.Error("second start got another key: the published record would no longer match")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("%d files in the data dir, want only dkim.key (temporary files left behind?)", len(entries))
	}
	if first.(*rsa.PrivateKey).N.BitLen() != 2048 {
		t.Errorf("generated an RSA key of %d bits, want 2048", first.(*rsa.PrivateKey).N.BitLen())
	}

	if runtime.GOOS == "windows" {
		return
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := mail.LoadKeyFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("LoadKeyFile of a 0644 file = %v, want advice to chmod 600", err)
	}
	if _, _, err := mail.LoadOrCreateKeyFile(path); err == nil {
		t.Error("LoadOrCreateKeyFile replaced or accepted a key file others can read")
	}
}
