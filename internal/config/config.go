// Package config builds the one Config that cmd/okpay passes down: built-in
// defaults, then OKPAY_* environment variables, then command-line flags,
// the later winning. It keeps no globals and reads nothing by itself: the
// caller hands it the environment (a getenv function) and the flags.
//
// Load validates everything and touches no disk. Only LoadMasterKey may
// write: in development, when OKPAY_MASTER_KEY is unset, it generates a key
// into the data directory and reuses it on later starts. Production refuses
// to start without OKPAY_MASTER_KEY and OKPAY_SMTP_RELAY.
package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/okpay/okpay/internal/calendar"
	"github.com/okpay/okpay/internal/channels"
	"github.com/okpay/okpay/internal/sqlstore"
)

// Env is the mode the platform runs in.
type Env string

const (
	// Development: dev mailbox, plain-http cookies, /dev/* helpers, a
	// generated master key.
	Development Env = "development"
	// Production: a real SMTP relay and master key are required; no /dev/*.
	Production Env = "production"
)

// The environment variables Load reads.
const (
	EnvEnv         = "OKPAY_ENV"
	EnvHTTPAddr    = "OKPAY_HTTP_ADDR"
	EnvDataDir     = "OKPAY_DATA_DIR"
	EnvDatabaseURL = "OKPAY_DATABASE_URL"
	EnvMasterKey   = "OKPAY_MASTER_KEY"
	EnvSMTPRelay   = "OKPAY_SMTP_RELAY"
	EnvLogLevel    = "OKPAY_LOG_LEVEL"
	EnvLogFormat   = "OKPAY_LOG_FORMAT"
	EnvBaseURL     = "OKPAY_BASE_URL"
	EnvCalendar    = "OKPAY_CALENDAR_FILE"
	EnvChannels    = "OKPAY_CHANNELS_FILE"
)

// Log formats.
const (
	LogText = "text"
	LogJSON = "json"
)

// Config is everything a node needs to know about its surroundings.
type Config struct {
	// Env is development or production.
	Env Env
	// HTTPAddr is the host:port the web UI and API listen on; port 0 picks
	// a free one.
	HTTPAddr string
	// DataDir holds the SQLite database (when DatabaseURL is empty) and, in
	// development, the generated master key.
	DataDir string
	// DatabaseURL, when it starts with postgres://, selects PostgreSQL;
	// empty means the embedded SQLite database in DataDir.
	DatabaseURL string
	// MasterKey is the 32-byte AES-256 key that encrypts secrets at rest.
	// Load fills it from OKPAY_MASTER_KEY; in development it may be nil
	// until LoadMasterKey generates or reads one.
	MasterKey []byte
	// SMTPRelay is where outgoing mail goes: host:port or
	// smtp[s]://user:pass@host:port. Empty keeps mail in the local dev
	// mailbox (development only).
	SMTPRelay string
	// LogLevel is the lowest level logged.
	LogLevel slog.Level
	// LogFormat is text or json.
	LogFormat string
	// Now is the clock every component uses.
	Now func() time.Time
	// PoolSize caps PostgreSQL connections; 0 picks a default from the CPUs.
	PoolSize int
	// BaseURL is the public address of the site ("https://okpay.example"),
	// without a trailing slash: links in emails start with it. Development
	// defaults to http://<HTTPAddr>; production requires OKPAY_BASE_URL.
	BaseURL string
	// Calendar is the business calendar (time zone, hours, holidays):
	// the built-in one for China unless OKPAY_CALENDAR_FILE names a JSON
	// file in calendar.Spec's layout.
	Calendar *calendar.Calendar
	// Channels are the official contact channels (/contact, /verify),
	// their hours kept in Calendar: the built-in ones unless
	// OKPAY_CHANNELS_FILE names a JSON file in channels.Spec's layout.
	Channels *channels.Directory
	// Inbound is the support mailbox's SMTP listener (smtp.go).
	Inbound Inbound
}

// Flags are values given on the command line; nil means "not given", so an
// environment variable or the default applies.
type Flags struct {
	HTTPAddr    *string
	DataDir     *string
	DatabaseURL *string
	LogLevel    *string
	LogFormat   *string
	SMTPAddr    *string
}

// Default returns the built-in defaults.
func Default() Config {
	return Config{
		Env:       Development,
		HTTPAddr:  "127.0.0.1:8080",
		DataDir:   "./okpay-data",
		LogLevel:  slog.LevelInfo,
		LogFormat: LogText,
		Now:       time.Now,
		Calendar:  calendar.Default(),
	}
}

// Load builds and validates a Config from the defaults, the environment
// (getenv, usually os.Getenv) and the flags, flags winning. Every problem
// found is reported, each naming the variable or flag to fix.
func Load(getenv func(string) string, f Flags) (Config, error) {
	c := Default()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	// Each setting: the environment overrides the default, a flag
	// overrides the environment. source names where the value came from,
	// for error messages.
	pick := func(def, env string, flag *string, flagName string) (val, source string) {
		val, source = def, "default"
		if v := strings.TrimSpace(getenv(env)); v != "" {
			val, source = v, env
		}
		if flag != nil {
			val, source = strings.TrimSpace(*flag), "--"+flagName
		}
		return val, source
	}

	switch v := strings.TrimSpace(getenv(EnvEnv)); v {
	case "", string(Development):
		c.Env = Development
	case string(Production):
		c.Env = Production
	default:
		bad("%s must be %q or %q (got %q)", EnvEnv, Development, Production, v)
	}

	var src string
	c.HTTPAddr, src = pick(c.HTTPAddr, EnvHTTPAddr, f.HTTPAddr, "http")
	if err := checkHostPort(c.HTTPAddr); err != nil {
		bad("%s: listen address %q: %v (want host:port, e.g. 127.0.0.1:8080)", src, c.HTTPAddr, err)
	}

	c.DataDir, src = pick(c.DataDir, EnvDataDir, f.DataDir, "data")
	if c.DataDir == "" {
		bad("%s: data directory must not be empty", src)
	}

	c.DatabaseURL, src = pick("", EnvDatabaseURL, f.DatabaseURL, "database-url")
	if c.DatabaseURL != "" {
		if err := checkDatabaseURL(c.DatabaseURL); err != nil {
			bad("%s: %v", src, err)
		}
	}

	var level string
	level, src = pick("info", EnvLogLevel, f.LogLevel, "log-level")
	switch strings.ToLower(level) {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		bad("%s: log level must be debug, info, warn or error (got %q)", src, level)
	}

	c.LogFormat, src = pick(c.LogFormat, EnvLogFormat, f.LogFormat, "log-format")
	c.LogFormat = strings.ToLower(c.LogFormat)
	if c.LogFormat != LogText && c.LogFormat != LogJSON {
		bad("%s: log format must be text or json (got %q)", src, c.LogFormat)
	}

	if v := strings.TrimSpace(getenv(EnvMasterKey)); v != "" {
		key, err := ParseMasterKey(v)
		if err != nil {
			bad("%s: %v", EnvMasterKey, err)
		}
		c.MasterKey = key
	}

	c.SMTPRelay = strings.TrimSpace(getenv(EnvSMTPRelay))
	if c.SMTPRelay != "" {
		if err := checkSMTPRelay(c.SMTPRelay); err != nil {
			bad("%s: %v", EnvSMTPRelay, err)
		}
	}

	c.BaseURL = strings.TrimRight(strings.TrimSpace(getenv(EnvBaseURL)), "/")
	if c.BaseURL != "" {
		if err := checkBaseURL(c.BaseURL); err != nil {
			bad("%s: %v", EnvBaseURL, err)
		}
	} else if c.Env == Development {
		c.BaseURL = "http://" + c.HTTPAddr
	}

	loadInbound(&c, getenv, f.SMTPAddr, bad)

	cal, err := calendar.Load(strings.TrimSpace(getenv(EnvCalendar)))
	if err != nil {
		bad("%s: %v", EnvCalendar, err)
	}
	c.Calendar = cal
	if cal != nil {
		dir, err := channels.Load(strings.TrimSpace(getenv(EnvChannels)), cal)
		if err != nil {
			bad("%s: %v", EnvChannels, err)
		}
		c.Channels = dir
	}

	if c.Env == Production {
		if c.BaseURL == "" {
			bad("production requires %s: the public address of the site that links in emails start with, e.g. https://pay.example.com", EnvBaseURL)
		}
		if strings.TrimSpace(getenv(EnvMasterKey)) == "" {
			bad("production requires %s: 32 random bytes, base64 or hex (e.g. `openssl rand -hex 32`), kept the same on every node", EnvMasterKey)
		}
		if c.SMTPRelay == "" {
			bad("production requires %s: the SMTP relay for outgoing mail (host:port or smtp://user:pass@host:port)", EnvSMTPRelay)
		}
	}

	if len(errs) > 0 {
		return Config{}, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return c, nil
}

// StoreOptions says which database to open.
func (c Config) StoreOptions() sqlstore.Options {
	return sqlstore.Options{URL: c.DatabaseURL, DataDir: c.DataDir, Now: c.Now, MaxConns: c.PoolSize}
}

// Engine is the database engine the config selects.
func (c Config) Engine() sqlstore.Engine {
	if c.DatabaseURL != "" {
		return sqlstore.Postgres
	}
	return sqlstore.SQLite
}

// DatabaseLocation says where the database is, fit for logs: the URL with
// its password masked, or the SQLite data directory.
func (c Config) DatabaseLocation() string {
	if c.DatabaseURL != "" {
		return redactURL(c.DatabaseURL)
	}
	return c.DataDir
}

// NewLogger returns a logger writing to w at the configured level and format.
func (c Config) NewLogger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// LogValue keeps secrets out of logs when a Config is logged whole.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("env", string(c.Env)),
		slog.String("http_addr", c.HTTPAddr),
		slog.String("data_dir", c.DataDir),
		slog.String("database", string(c.Engine())),
		slog.String("database_location", c.DatabaseLocation()),
		slog.Bool("master_key_set", c.MasterKey != nil),
		slog.String("smtp_relay", redactURL(c.SMTPRelay)),
		slog.String("base_url", c.BaseURL),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("log_format", c.LogFormat),
	)
}

func checkHostPort(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return nil
}

func checkDatabaseURL(s string) error {
	if !strings.HasPrefix(s, "postgres://") && !strings.HasPrefix(s, "postgresql://") {
		return errors.New("database URL must start with postgres:// (leave it empty for the embedded SQLite database)")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		// url.Parse errors quote the input, password included: say less.
		return errors.New("database URL is not a valid postgres://user:password@host:port/dbname URL")
	}
	return nil
}

func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("base URL %q must be an http:// or https:// address such as https://pay.example.com", s)
	}
	return nil
}

func checkSMTPRelay(s string) error {
	if !strings.Contains(s, "://") {
		if err := checkHostPort(s); err != nil {
			return fmt.Errorf("SMTP relay %q: %v (want host:port or smtp://user:pass@host:port)", s, err)
		}
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
		return errors.New("SMTP relay must be host:port or smtp[s]://user:pass@host:port")
	}
	return nil
}

// redactURL masks the password in a URL; anything that does not parse as a
// URL with a host is returned as is only when it cannot hold a password.
func redactURL(s string) string {
	if s == "" || !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable url)"
	}
	return u.Redacted()
}
