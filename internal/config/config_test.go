package config_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/okpay/okpay/internal/config"
	"github.com/okpay/okpay/internal/sqlstore"
)

// env turns a map into a getenv function.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func ptr(s string) *string { return &s }

const hexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func mustLoad(t *testing.T, m map[string]string, f config.Flags) config.Config {
	t.Helper()
	c, err := config.Load(env(m), f)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

// settings is the comparable part of a Config.
type settings struct {
	Env         config.Env
	HTTPAddr    string
	DataDir     string
	DatabaseURL string
	LogLevel    slog.Level
	LogFormat   string
	SMTPRelay   string
	BaseURL     string
}

func settingsOf(c config.Config) settings {
	return settings{c.Env, c.HTTPAddr, c.DataDir, c.DatabaseURL, c.LogLevel, c.LogFormat, c.SMTPRelay, c.BaseURL}
}

func TestLoadPrecedence(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		flags config.Flags
		want  settings
	}{
		{
			name: "defaults",
			want: settings{Env: config.Development, HTTPAddr: "127.0.0.1:8080", DataDir: "./okpay-data", LogLevel: slog.LevelInfo, LogFormat: "text", BaseURL: "http://127.0.0.1:8080"},
		},
		{
			name: "environment over defaults",
			env: map[string]string{
				"OKPAY_HTTP_ADDR":    "0.0.0.0:9000",
				"OKPAY_DATA_DIR":     "/var/lib/okpay",
				"OKPAY_DATABASE_URL": "postgres://okpay@db:5432/okpay",
				"OKPAY_LOG_LEVEL":    "debug",
				"OKPAY_LOG_FORMAT":   "json",
				"OKPAY_SMTP_RELAY":   "mail.example.com:587",
				"OKPAY_BASE_URL":     "https://pay.example.com/",
			},
			want: settings{Env: config.Development, HTTPAddr: "0.0.0.0:9000", DataDir: "/var/lib/okpay", DatabaseURL: "postgres://okpay@db:5432/okpay", LogLevel: slog.LevelDebug, LogFormat: "json", SMTPRelay: "mail.example.com:587", BaseURL: "https://pay.example.com"},
		},
		{
			name: "flags over environment",
			env: map[string]string{
				"OKPAY_HTTP_ADDR":    "0.0.0.0:9000",
				"OKPAY_DATA_DIR":     "/var/lib/okpay",
				"OKPAY_DATABASE_URL": "postgres://okpay@db:5432/okpay",
				"OKPAY_LOG_LEVEL":    "debug",
				"OKPAY_LOG_FORMAT":   "json",
			},
			flags: config.Flags{HTTPAddr: ptr("127.0.0.1:0"), DataDir: ptr("/tmp/x"), DatabaseURL: ptr("postgresql://other@h/db"), LogLevel: ptr("error"), LogFormat: ptr("text")},
			want:  settings{Env: config.Development, HTTPAddr: "127.0.0.1:0", DataDir: "/tmp/x", DatabaseURL: "postgresql://other@h/db", LogLevel: slog.LevelError, LogFormat: "text", BaseURL: "http://127.0.0.1:0"},
		},
		{
			name:  "an empty --database-url flag selects SQLite over the environment",
			env:   map[string]string{"OKPAY_DATABASE_URL": "postgres://okpay@db/okpay"},
			flags: config.Flags{DatabaseURL: ptr("")},
			want:  settings{Env: config.Development, HTTPAddr: "127.0.0.1:8080", DataDir: "./okpay-data", LogLevel: slog.LevelInfo, LogFormat: "text", BaseURL: "http://127.0.0.1:8080"},
		},
		{
			name:  "flags over defaults",
			flags: config.Flags{HTTPAddr: ptr(":8443"), LogLevel: ptr("WARN")},
			want:  settings{Env: config.Development, HTTPAddr: ":8443", DataDir: "./okpay-data", LogLevel: slog.LevelWarn, LogFormat: "text", BaseURL: "http://:8443"},
		},
		{
			name: "production with key, relay and base URL",
			env:  map[string]string{"OKPAY_ENV": "production", "OKPAY_MASTER_KEY": hexKey, "OKPAY_SMTP_RELAY": "smtp://u:p@relay:25", "OKPAY_BASE_URL": "https://pay.example.com"},
			want: settings{Env: config.Production, HTTPAddr: "127.0.0.1:8080", DataDir: "./okpay-data", LogLevel: slog.LevelInfo, LogFormat: "text", SMTPRelay: "smtp://u:p@relay:25", BaseURL: "https://pay.example.com"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := settingsOf(mustLoad(t, tt.env, tt.flags))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Load() settings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadValidation(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		flags config.Flags
		want  []string // substrings of the error
		not   []string // must not appear (secrets)
	}{
		{name: "unknown env", env: map[string]string{"OKPAY_ENV": "staging"}, want: []string{"OKPAY_ENV", `"staging"`, "development", "production"}},
		{name: "bad http addr from env", env: map[string]string{"OKPAY_HTTP_ADDR": "8080"}, want: []string{"OKPAY_HTTP_ADDR", `"8080"`}},
		{name: "bad http port from flag", flags: config.Flags{HTTPAddr: ptr("localhost:http-ish")}, want: []string{"--http", "port"}},
		{name: "empty data dir", flags: config.Flags{DataDir: ptr("")}, want: []string{"--data", "data directory"}},
		{name: "mysql url", env: map[string]string{"OKPAY_DATABASE_URL": "mysql://root:hunter2@db/okpay"}, want: []string{"OKPAY_DATABASE_URL", "postgres://"}, not: []string{"hunter2"}},
		{name: "postgres url without host", flags: config.Flags{DatabaseURL: ptr("postgres://:hunter2@/x%zz")}, want: []string{"--database-url"}, not: []string{"hunter2"}},
		{name: "bad log level", env: map[string]string{"OKPAY_LOG_LEVEL": "verbose"}, want: []string{"OKPAY_LOG_LEVEL", "debug, info, warn or error"}},
		{name: "bad log format", flags: config.Flags{LogFormat: ptr("xml")}, want: []string{"--log-format", "text or json"}},
		{name: "short master key", env: map[string]string{"OKPAY_MASTER_KEY": base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))}, want: []string{"OKPAY_MASTER_KEY", "32 bytes, got 16"}, not: []string{"c2l4dGVlbi"}},
		{name: "garbage master key", env: map[string]string{"OKPAY_MASTER_KEY": "not a key!"}, want: []string{"OKPAY_MASTER_KEY", "hex", "base64"}, not: []string{"not a key"}},
		{name: "bad smtp relay", env: map[string]string{"OKPAY_SMTP_RELAY": "http://relay"}, want: []string{"OKPAY_SMTP_RELAY"}},
		{name: "production without master key", env: map[string]string{"OKPAY_ENV": "production", "OKPAY_SMTP_RELAY": "relay:25", "OKPAY_BASE_URL": "https://pay.example.com"}, want: []string{"production requires OKPAY_MASTER_KEY"}},
		{name: "production without smtp relay", env: map[string]string{"OKPAY_ENV": "production", "OKPAY_MASTER_KEY": hexKey, "OKPAY_BASE_URL": "https://pay.example.com"}, want: []string{"production requires OKPAY_SMTP_RELAY"}},
		{name: "production without base URL", env: map[string]string{"OKPAY_ENV": "production", "OKPAY_MASTER_KEY": hexKey, "OKPAY_SMTP_RELAY": "relay:25"}, want: []string{"production requires OKPAY_BASE_URL"}},
		{name: "bad base URL", env: map[string]string{"OKPAY_BASE_URL": "ftp://pay.example.com"}, want: []string{"OKPAY_BASE_URL", "http://"}},
		{name: "base URL with credentials", env: map[string]string{"OKPAY_BASE_URL": "https://u:p@pay.example.com"}, want: []string{"OKPAY_BASE_URL"}},
		{name: "production without any names them all", env: map[string]string{"OKPAY_ENV": "production"}, want: []string{"OKPAY_MASTER_KEY", "OKPAY_SMTP_RELAY", "OKPAY_BASE_URL"}},
		{name: "several problems are all reported", env: map[string]string{"OKPAY_LOG_LEVEL": "loud", "OKPAY_HTTP_ADDR": "nope"}, want: []string{"OKPAY_LOG_LEVEL", "OKPAY_HTTP_ADDR"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(env(tt.env), tt.flags)
			if err == nil {
				t.Fatalf("Load() succeeded, want an error mentioning %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load() error = %q, want it to mention %q", err, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(err.Error(), n) {
					t.Errorf("Load() error = %q, must not reveal %q", err, n)
				}
			}
		})
	}
}

func TestParseMasterKey(t *testing.T) {
	want, _ := hex.DecodeString(hexKey)
	for name, s := range map[string]string{
		"hex":            hexKey,
		"upper hex":      strings.ToUpper(hexKey),
		"base64":         base64.StdEncoding.EncodeToString(want),
		"raw base64":     base64.RawStdEncoding.EncodeToString(want),
		"url base64":     base64.URLEncoding.EncodeToString(want),
		"with newline":   hexKey + "\n",
		"raw url base64": base64.RawURLEncoding.EncodeToString(want),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := config.ParseMasterKey(s)
			if err != nil {
				t.Fatalf("ParseMasterKey(%q): %v", s, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("ParseMasterKey(%q) = %x, want %x", s, got, want)
			}
		})
	}
}

func TestLoadMasterKeyFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	c := mustLoad(t, map[string]string{"OKPAY_MASTER_KEY": hexKey, "OKPAY_DATA_DIR": dir}, config.Flags{})
	got, err := config.LoadMasterKey(c)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(got) != hexKey {
		t.Errorf("LoadMasterKey = %x, want %s", got, hexKey)
	}
	if _, err := os.Stat(c.MasterKeyFile()); !os.IsNotExist(err) {
		t.Errorf("with OKPAY_MASTER_KEY set, %s should not be written (stat err = %v)", c.MasterKeyFile(), err)
	}
}

func TestLoadMasterKeyDevelopmentGeneratesAndReuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not-yet-created")
	c := mustLoad(t, nil, config.Flags{DataDir: &dir})
	if c.MasterKey != nil {
		t.Fatalf("Load set MasterKey without OKPAY_MASTER_KEY; it must not touch the disk")
	}
	first, err := config.LoadMasterKey(c)
	if err != nil {
		t.Fatalf("first LoadMasterKey: %v", err)
	}
	if len(first) != config.MasterKeySize {
		t.Fatalf("generated key has %d bytes, want %d", len(first), config.MasterKeySize)
	}
	if bytes.Equal(first, make([]byte, config.MasterKeySize)) {
		t.Fatal("generated key is all zeros")
	}
	st, err := os.Stat(c.MasterKeyFile())
	if err != nil {
		t.Fatalf("master key file: %v", err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("master key file mode = %04o, want 0600", st.Mode().Perm())
	}
	second, err := config.LoadMasterKey(c)
	if err != nil {
		t.Fatalf("second LoadMasterKey: %v", err)
	}
	if !bytes.Equal(first, second) {
		t.Errorf("second start got a different key: %x then %x", first, second)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data dir holds %d entries, want only master.key (temporary files left behind?)", len(entries))
	}

	other := mustLoad(t, nil, config.Flags{DataDir: ptr(t.TempDir())})
	third, err := config.LoadMasterKey(other)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(first, third) {
		t.Error("two data dirs got the same generated key")
	}
}

func TestLoadMasterKeyRefusesBadFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes")
	}
	t.Run("readable by others", func(t *testing.T) {
		dir := t.TempDir()
		c := mustLoad(t, nil, config.Flags{DataDir: &dir})
		if err := os.WriteFile(c.MasterKeyFile(), []byte(hexKey+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := config.LoadMasterKey(c)
		if err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("LoadMasterKey with a 0644 key file: err = %v, want advice to chmod 600", err)
		}
	})
	t.Run("corrupt", func(t *testing.T) {
		dir := t.TempDir()
		c := mustLoad(t, nil, config.Flags{DataDir: &dir})
		if err := os.WriteFile(c.MasterKeyFile(), []byte("abc\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := config.LoadMasterKey(c)
		if err == nil || !strings.Contains(err.Error(), c.MasterKeyFile()) {
			t.Errorf("LoadMasterKey with a corrupt key file: err = %v, want it to name the file", err)
		}
		b, _ := os.ReadFile(c.MasterKeyFile())
		if string(b) != "abc\n" {
			t.Errorf("corrupt key file was overwritten with %q; it must be left for the operator", b)
		}
	})
}

func TestLoadMasterKeyProductionRefusesWithoutKey(t *testing.T) {
	// Load refuses production without a key; LoadMasterKey must too, even
	// when handed a Config built by hand.
	c := config.Default()
	c.Env = config.Production
	c.DataDir = t.TempDir()
	_, err := config.LoadMasterKey(c)
	if err == nil || !strings.Contains(err.Error(), "OKPAY_MASTER_KEY") {
		t.Errorf("LoadMasterKey in production without a key: err = %v, want one naming OKPAY_MASTER_KEY", err)
	}
	if _, err := os.Stat(c.MasterKeyFile()); !os.IsNotExist(err) {
		t.Errorf("production must not generate a key file (stat err = %v)", err)
	}
}

func TestStoreOptions(t *testing.T) {
	c := mustLoad(t, map[string]string{"OKPAY_DATABASE_URL": "postgres://u:secret@h:5432/db"}, config.Flags{DataDir: ptr("/d")})
	o := c.StoreOptions()
	if o.URL != c.DatabaseURL || o.DataDir != "/d" || o.Now == nil {
		t.Errorf("StoreOptions() = %+v, want URL, DataDir and Now from the config", o)
	}
	if c.Engine() != sqlstore.Postgres {
		t.Errorf("Engine() = %s, want postgres", c.Engine())
	}
	if loc := c.DatabaseLocation(); strings.Contains(loc, "secret") || !strings.Contains(loc, "h:5432/db") {
		t.Errorf("DatabaseLocation() = %q, want the URL without its password", loc)
	}
	if e := mustLoad(t, nil, config.Flags{}).Engine(); e != sqlstore.SQLite {
		t.Errorf("Engine() without a URL = %s, want sqlite", e)
	}
}

func TestLogValueHidesSecrets(t *testing.T) {
	c := mustLoad(t, map[string]string{
		"OKPAY_DATABASE_URL": "postgres://u:dbsecret@h/db",
		"OKPAY_MASTER_KEY":   hexKey,
		"OKPAY_SMTP_RELAY":   "smtp://u:mailsecret@relay:25",
	}, config.Flags{})
	var buf bytes.Buffer
	c.NewLogger(&buf).Info("starting", "config", c)
	out := buf.String()
	for _, secret := range []string{"dbsecret", "mailsecret", hexKey[:16]} {
		if strings.Contains(out, secret) {
			t.Errorf("logged config reveals %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "config.master_key_set=true") {
		t.Errorf("logged config should say a master key is set:\n%s", out)
	}
}
