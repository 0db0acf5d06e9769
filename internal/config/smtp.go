package config

import (
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
)

// The environment variables of the support mailbox's SMTP listener
// (inbound mail, SUP-2).
const (
	// EnvSMTPAddr is where the listener answers (--smtp); "off" turns it
	// off.
	EnvSMTPAddr = "OKPAY_SMTP_ADDR"
	// EnvSupportAddress and EnvComplaintsAddress are the mailboxes the
	// listener takes mail for.
	EnvSupportAddress    = "OKPAY_SUPPORT_ADDRESS"
	EnvComplaintsAddress = "OKPAY_COMPLAINTS_ADDRESS"
	// EnvBounceDomain is the domain of the return paths (VERP) of
	// outgoing mail; the support address's domain by default.
	EnvBounceDomain = "OKPAY_BOUNCE_DOMAIN"
	// EnvSMTPAuthServID is the authserv-id of the MTA in front of the
	// listener, whose Authentication-Results header is trusted; unset
	// trusts none (nobody is verified).
	EnvSMTPAuthServID = "OKPAY_SMTP_AUTHSERV_ID"
	// EnvSMTPMaxSize is the largest message accepted, in bytes.
	EnvSMTPMaxSize = "OKPAY_SMTP_MAX_SIZE"
	// EnvMailRetention is how long processed raw mail is kept (a Go
	// duration such as 720h).
	EnvMailRetention = "OKPAY_MAIL_RETENTION"
	// EnvAckPerRecipient and EnvAckPerIP cap acknowledgements per hour to
	// one address and for mail from one IP.
	EnvAckPerRecipient = "OKPAY_MAIL_ACK_PER_RECIPIENT"
	EnvAckPerIP        = "OKPAY_MAIL_ACK_PER_IP"
)

// Inbound configures the support mailbox's SMTP listener.
type Inbound struct {
	// Addr is the listener's host:port; "" when turned off.
	Addr string
	// Support and Complaints are the support addresses (lower case);
	// Support "" turns the listener off.
	Support, Complaints string
	// BounceDomain is the domain of the return paths of outgoing mail.
	BounceDomain string
	// AuthServID is the trusted authserv-id; "" trusts none.
	AuthServID string
	// MaxSize is the largest message accepted, in bytes.
	MaxSize int64
	// Retention is how long processed raw mail is kept.
	Retention time.Duration
	// AckPerRecipient and AckPerIP cap acknowledgements per hour.
	AckPerRecipient, AckPerIP int
}

// Inbound defaults; development's addresses use the reserved .test
// domain.
const (
	DefaultSMTPAddr          = "127.0.0.1:2525"
	DevSupportAddress        = "support@okpay.test"
	DevComplaintsAddress     = "complaints@okpay.test"
	DefaultSMTPMaxSize       = 25 << 20
	DefaultMailRetention     = 30 * 24 * time.Hour
	DefaultAckPerRecipient   = 3
	DefaultAckPerIP          = 20
	maxSMTPMaxSizeConfigured = 1 << 30
)

// loadInbound reads the listener's settings; bad adds a problem.
func loadInbound(c *Config, getenv func(string) string, flag *string, bad func(string, ...any)) {
	in := Inbound{MaxSize: DefaultSMTPMaxSize, Retention: DefaultMailRetention, AckPerRecipient: DefaultAckPerRecipient, AckPerIP: DefaultAckPerIP}
	in.Addr = DefaultSMTPAddr
	src := "default"
	if v := strings.TrimSpace(getenv(EnvSMTPAddr)); v != "" {
		in.Addr, src = v, EnvSMTPAddr
	}
	if flag != nil {
		in.Addr, src = strings.TrimSpace(*flag), "--smtp"
	}
	if strings.EqualFold(in.Addr, "off") || in.Addr == "" {
		in.Addr = ""
	} else if err := checkHostPort(in.Addr); err != nil {
		bad("%s: SMTP listen address %q: %v (want host:port, e.g. 127.0.0.1:2525, or off)", src, in.Addr, err)
	}

	address := func(env, def string) string {
		v := strings.TrimSpace(getenv(env))
		if v == "" {
			if c.Env != Development {
				return ""
			}
			return def
		}
		a, err := mail.ParseAddress(v)
		if err != nil || a.Name != "" {
			bad("%s: %q is not a plain email address such as support@okpay.example", env, v)
			return ""
		}
		return strings.ToLower(a.Address)
	}
	in.Support = address(EnvSupportAddress, DevSupportAddress)
	in.Complaints = address(EnvComplaintsAddress, DevComplaintsAddress)
	if in.Support != "" && in.Support == in.Complaints {
		bad("%s and %s must differ", EnvSupportAddress, EnvComplaintsAddress)
	}
	in.BounceDomain = strings.ToLower(strings.TrimSpace(getenv(EnvBounceDomain)))
	if in.BounceDomain == "" && in.Support != "" {
		in.BounceDomain = in.Support[strings.LastIndexByte(in.Support, '@')+1:]
	}
	in.AuthServID = strings.TrimSpace(getenv(EnvSMTPAuthServID))

	if v := strings.TrimSpace(getenv(EnvSMTPMaxSize)); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1024 || n > maxSMTPMaxSizeConfigured {
			bad("%s: %q must be a number of bytes from 1024 to %d", EnvSMTPMaxSize, v, maxSMTPMaxSizeConfigured)
		} else {
			in.MaxSize = n
		}
	}
	if v := strings.TrimSpace(getenv(EnvMailRetention)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Hour {
			bad("%s: %q must be a duration of at least 1h, e.g. 720h for 30 days", EnvMailRetention, v)
		} else {
			in.Retention = d
		}
	}
	for _, p := range []struct {
		env string
		dst *int
	}{{EnvAckPerRecipient, &in.AckPerRecipient}, {EnvAckPerIP, &in.AckPerIP}} {
		if v := strings.TrimSpace(getenv(p.env)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100000 {
				bad("%s: %q must be a whole number from 1 to 100000", p.env, v)
			} else {
				*p.dst = n
			}
		}
	}
	c.Inbound = in
}

// String describes the listener for logs.
func (in Inbound) String() string {
	if in.Addr == "" || in.Support == "" {
		return "off"
	}
	return fmt.Sprintf("%s for %s, %s", in.Addr, in.Support, in.Complaints)
}
