package mail

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"
)

// VERP makes and reads the envelope senders (return paths) of outgoing
// mail: every message leaves with its own, "bounce+<outbox id>-<tag>@<domain>",
// so that a bounce, which goes to the envelope sender, names the message
// it is about even when the reporting server quotes nothing of it
// (variable envelope return path). The tag is an HMAC of the id under a
// key of the platform: an address made up by someone else, or another
// message's id with this tag, is not ours and is refused at RCPT.
type VERP struct {
	domain string
	key    []byte
}

// verpLocal is the local part's fixed prefix.
const verpLocal = "bounce+"

// verpTagLen is the tag's length in base32 characters (80 bits).
const verpTagLen = 16

var verpEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewVERP returns the return paths of domain (where the SMTP listener
// accepts bounces), tagged under key (at least 16 bytes; derive it from
// the master key). Errors: ErrInvalidConfig.
func NewVERP(domain string, key []byte) (*VERP, error) {
	if !validDomain(domain) {
		return nil, fmt.Errorf("%w: bounce domain %q", ErrInvalidConfig, domain)
	}
	if len(key) < 16 {
		return nil, fmt.Errorf("%w: bounce tag key of %d bytes, want at least 16", ErrInvalidConfig, len(key))
	}
	return &VERP{domain: strings.ToLower(domain), key: append([]byte(nil), key...)}, nil
}

// Domain is the domain of the return paths.
func (v *VERP) Domain() string { return v.domain }

// Address is the return path of the outbox message id.
func (v *VERP) Address(id int64) string {
	return verpLocal + strconv.FormatInt(id, 10) + "-" + v.tag(id) + "@" + v.domain
}

func (v *VERP) tag(id int64) string {
	mac := hmac.New(sha256.New, v.key)
	mac.Write([]byte("okpay verp v1 " + strconv.FormatInt(id, 10)))
	return verpEncoding.EncodeToString(mac.Sum(nil))[:verpTagLen]
}

// Parse reads a return path made by Address (case-insensitive: some
// servers lower or raise the case of addresses) and returns its outbox
// id. It reports false for any other address, a wrong domain or a tag
// that does not match the id.
func (v *VERP) Parse(addr string) (int64, bool) {
	addr = strings.ToLower(strings.Trim(strings.TrimSpace(addr), "<>"))
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || domain != v.domain || !strings.HasPrefix(local, verpLocal) {
		return 0, false
	}
	idPart, tag, ok := strings.Cut(strings.TrimPrefix(local, verpLocal), "-")
	if !ok || idPart == "" || idPart[0] == '0' || len(idPart) > 18 {
		return 0, false
	}
	id, err := strconv.ParseInt(idPart, 10, 64)
	if err != nil || id <= 0 {
		return 0, false
	}
	if !hmac.Equal([]byte(tag), []byte(v.tag(id))) {
		return 0, false
	}
	return id, true
}

// IsReturnPath reports whether addr has the shape of a return path of
// this domain ("bounce+...@domain"), valid or not.
func (v *VERP) IsReturnPath(addr string) bool {
	addr = strings.ToLower(strings.Trim(strings.TrimSpace(addr), "<>"))
	local, domain, ok := strings.Cut(addr, "@")
	return ok && domain == v.domain && strings.HasPrefix(local, verpLocal)
}
