// Package web serves OKPay's server-rendered pages: html/template pages in
// one shared layout, zh-CN by default and English, with the templates, the
// stylesheet and the message catalogues embedded in the binary. Pages work
// without JavaScript.
//
// A Site is built once with New and mounted on the server's ServeMux with
// Mount. Each page is one file holding its handler (home.go, lang.go,
// dev_clock.go), with its template in templates/. A handler ends with
// Render, or with NotFound, Forbidden or ServerError, which draw the error
// pages in the reader's language.
//
// Invariants the package keeps for every page it serves:
//   - Security headers: a Content-Security-Policy of default-src 'self' that
//     also forbids framing, nosniff, a same-origin Referrer-Policy, and HSTS
//     outside development.
//   - Every state-changing request (POST, PUT, PATCH, DELETE) passes the
//     cross-origin check (see csrf.go) before its handler runs; a refused
//     one gets the 403 page.
//   - A handler's panic or error never shows internals: the 500 page shows
//     a reference that is also in the log next to the error.
//   - The language is the user's saved setting (WithUserLocale), else the
//     lang cookie set by the switcher, else Accept-Language, else zh-CN.
//   - /dev/* exists only in development and only answers loopback clients.
package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/okpay/okpay/internal/announce"
	"github.com/okpay/okpay/internal/apikey"
	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/auth/twofactor"
	"github.com/okpay/okpay/internal/channels"
	"github.com/okpay/okpay/internal/connector"
	"github.com/okpay/okpay/internal/fees"
	"github.com/okpay/okpay/internal/forum"
	"github.com/okpay/okpay/internal/fx"
	"github.com/okpay/okpay/internal/helpcenter"
	"github.com/okpay/okpay/internal/kyc"
	"github.com/okpay/okpay/internal/merchant"
	"github.com/okpay/okpay/internal/risk"
	"github.com/okpay/okpay/internal/support"
	"github.com/okpay/okpay/internal/support/chat"
	"github.com/okpay/okpay/internal/wallet"
	"github.com/okpay/okpay/internal/web/i18n"
	"github.com/okpay/okpay/internal/webhook"
)

var (
	// ErrTemplate reports a page template that does not parse, or a page
	// name with no template.
	ErrTemplate = errors.New("web: bad template")
	// ErrOptions reports Options that cannot work together.
	ErrOptions = errors.New("web: bad options")
)

// Defaults for the Options fields left empty.
const (
	DefaultTimeZone     = "Asia/Shanghai"
	DefaultDomain       = "okpay.test"
	DefaultSupportEmail = "support@okpay.test"
	DefaultMaxFormBytes = 1 << 20
)

// DevClock is the clock that /dev/clock shows and moves: a
// *clock.Offset (real time plus an offset). clock.Settable, which stands
// still, has no Offset or Reset and is meant for unit tests instead.
type DevClock interface {
	Now() time.Time
	Set(time.Time)
	Add(time.Duration)
	Offset() time.Duration
	Reset()
}

// Options configure a Site. The zero value serves production pages with
// the defaults above.
type Options struct {
	// Logger receives handler errors and panics (default: discarded).
	Logger *slog.Logger
	// Now is the application clock (default: DevClock.Now, else time.Now).
	Now func() time.Time
	// TimeZone is the platform time zone that dates are shown in
	// (default Asia/Shanghai).
	TimeZone *time.Location
	// Domain is the official domain the footer names (default okpay.test).
	Domain string
	// SupportEmail is the support address on every page
	// (default support@okpay.test).
	SupportEmail string
	// Development serves cookies without the Secure flag (plain http),
	// omits HSTS, and enables the /dev/* helpers for loopback clients.
	Development bool
	// DevClock is the clock /dev/clock moves; it is used only in
	// development, and /dev/clock does not exist without it.
	DevClock DevClock
	// TrustedOrigins are other origins ("https://pay.example.com") whose
	// browsers may post to this site, for deployments whose proxy rewrites
	// the Host header.
	TrustedOrigins []string
	// MaxFormBytes caps the form body read by the cross-origin fallback
	// check and by every form page (default 1 MiB).
	MaxFormBytes int64
	// Auth is the accounts service behind sign-up, login, sessions and
	// password reset. Without it those pages do not exist.
	Auth *auth.Service
	// TwoFactor is the second factor behind /login/2fa and
	// /settings/security (required with Auth).
	TwoFactor *twofactor.Service
	// Fees is the fee schedule /fees publishes (default: fees.Default()).
	Fees *fees.Schedule
	// Wallet is the wallet behind /wallet; without it those pages do not
	// exist.
	Wallet *wallet.Service
	// Bank is the bank-transfer side of the wallet: the deposit page's
	// bank details and the staff page for unmatched money.
	Bank *wallet.BankDeposits
	// Withdrawals is the withdrawal side of the wallet (/wallet/withdraw).
	Withdrawals *wallet.Withdrawals
	// Exchange is the wallet's currency exchange (/wallet/exchange).
	Exchange *wallet.Exchange
	// FX is the exchange rates service behind /staff/rates.
	FX *fx.Service
	// Methods says which deposit methods each country is offered
	// (default: connector.DefaultAvailability()).
	Methods *connector.Availability
	// Audit reads the audit log for the login history and the staff
	// audit page (required with Auth).
	Audit audit.Reader
	// Risk is suspicious-activity control: the review queue at
	// /staff/risk and "not my transaction" on the movement page.
	Risk *risk.Service
	// Support is the support desk (/support, /agent); nil leaves it out.
	Support *support.Service
	// KYC is verification: the limits page, document upload and the
	// staff review queue (with Auth).
	KYC *kyc.Service
	// Corrections are the staff's four-eyes ledger corrections.
	Corrections *wallet.Corrections
	// Help is the help centre (/help, /staff/help, suggestions on the
	// support form); nil leaves it out.
	Help *helpcenter.Service
	// Channels is the directory of official channels behind /contact and
	// /verify (default: channels.Default of the platform calendar).
	Channels *channels.Directory
	// Announcements are the banners, /announcements and its Atom feed;
	// nil leaves them out.
	Announcements *announce.Service
	// Forum is the community forum (/community, /staff/community);
	// nil leaves it out.
	Forum *forum.Service
	// Chat is live chat (/support/chat, /agent/chats), with Support.
	Chat *chat.Service
	// APIKeys are the customer's own API keys (/settings/api-keys).
	APIKeys *apikey.Service
	// Merchant is the merchant side: /merchant (dashboard), the hosted
	// checkout page /checkout/{id} and the HTML form's /pay/form.
	Merchant *merchant.Service
	// Webhooks are merchants' webhook endpoints and delivery log
	// (/merchant/webhooks), for the merchant WebhookMerchants says a user
	// acts for; the pages exist only with both.
	Webhooks         *webhook.Service
	WebhookMerchants WebhookMerchants
	// MerchantReports and MerchantPayouts are the merchant dashboard's
	// reports (/merchant/{id}/reports) and payouts (/merchant/{id}/payouts);
	// MerchantAudit records the merchant key page's changes
	// (/merchant/{id}/keys, with APIKeys).
	MerchantReports *merchant.Reports
	MerchantPayouts *merchant.Payouts
	MerchantAudit   MerchantAudit
}

// Site is the web front end: pages, their templates and catalogues, and the
// middleware every page runs behind. It is safe for concurrent use.
type Site struct {
	log          *slog.Logger
	now          func() time.Time
	tz           *time.Location
	info         SiteInfo
	dev          bool
	devClock     DevClock
	maxFormBytes int64
	msgs         *i18n.Catalogue
	pages        map[string]*pageTemplate
	assets       *assets
	origins      *http.CrossOriginProtection
	auth         *auth.Service
	twoFactor    *twofactor.Service
	audit        audit.Reader
	fees         *fees.Schedule
	wallet       *wallet.Service
	bank         *wallet.BankDeposits
	withdrawals  *wallet.Withdrawals
	methods      connector.Availability
	risk         *risk.Service
	support      *support.Service
	kyc          *kyc.Service
	corrections  *wallet.Corrections
	exchange     *wallet.Exchange
	fx           *fx.Service
	help         *helpcenter.Service
	channels     *channels.Directory
	announce     *announce.Service
	forum        *forum.Service
	chat         *chat.Service
	chatOrigins  []string // TrustedOrigins, for the chat socket's handshake
	apiKeys      *apikey.Service
	merchant     *merchant.Service

	webhooks         *webhook.Service
	webhookMerchants WebhookMerchants

	merchantReports *merchant.Reports
	merchantPayouts *merchant.Payouts
	merchantAudit   MerchantAudit
}

// SiteInfo is what every page may say about the platform itself; templates
// read it as .Site.
type SiteInfo struct {
	Domain       string
	SupportEmail string
}

// New loads the catalogues, templates and assets and checks the options.
func New(o Options) (*Site, error) {
	s := &Site{
		log:              o.Logger,
		now:              o.Now,
		tz:               o.TimeZone,
		info:             SiteInfo{Domain: o.Domain, SupportEmail: o.SupportEmail},
		dev:              o.Development,
		maxFormBytes:     o.MaxFormBytes,
		origins:          http.NewCrossOriginProtection(),
		auth:             o.Auth,
		twoFactor:        o.TwoFactor,
		audit:            o.Audit,
		fees:             o.Fees,
		wallet:           o.Wallet,
		bank:             o.Bank,
		withdrawals:      o.Withdrawals,
		methods:          connector.DefaultAvailability(),
		risk:             o.Risk,
		support:          o.Support,
		kyc:              o.KYC,
		corrections:      o.Corrections,
		exchange:         o.Exchange,
		fx:               o.FX,
		help:             o.Help,
		channels:         o.Channels,
		announce:         o.Announcements,
		forum:            o.Forum,
		chat:             o.Chat,
		chatOrigins:      o.TrustedOrigins,
		apiKeys:          o.APIKeys,
		merchant:         o.Merchant,
		webhooks:         o.Webhooks,
		webhookMerchants: o.WebhookMerchants,
		merchantReports:  o.MerchantReports,
		merchantPayouts:  o.MerchantPayouts,
		merchantAudit:    o.MerchantAudit,
	}
	if o.Methods != nil {
		s.methods = *o.Methods
	}
	if s.fees == nil {
		s.fees = fees.Default()
	}
	if s.channels == nil {
		s.channels = channels.Default(nil)
	}
	if o.Auth != nil && (o.TwoFactor == nil || o.Audit == nil) {
		return nil, fmt.Errorf("%w: Auth needs TwoFactor and Audit", ErrOptions)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if o.Development {
		s.devClock = o.DevClock
	}
	if s.now == nil {
		s.now = time.Now
		if s.devClock != nil {
			s.now = s.devClock.Now
		}
	}
	if s.tz == nil {
		tz, err := time.LoadLocation(DefaultTimeZone)
		if err != nil {
			return nil, fmt.Errorf("web: time zone: %w", err)
		}
		s.tz = tz
	}
	if s.info.Domain == "" {
		s.info.Domain = DefaultDomain
	}
	if s.info.SupportEmail == "" {
		s.info.SupportEmail = DefaultSupportEmail
	}
	if s.maxFormBytes <= 0 {
		s.maxFormBytes = DefaultMaxFormBytes
	}
	for _, origin := range o.TrustedOrigins {
		if err := s.origins.AddTrustedOrigin(origin); err != nil {
			return nil, fmt.Errorf("%w: trusted origin %q: %w", ErrOptions, origin, err)
		}
	}
	var err error
	if s.msgs, err = i18n.Load(); err != nil {
		return nil, err
	}
	if s.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if s.pages, err = s.parseTemplates(); err != nil {
		return nil, err
	}
	return s, nil
}

// Mux is where Mount registers the pages: a *server.Server or an
// *http.ServeMux.
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Mount registers every page and the static files on m, each behind the
// site's middleware, and a catch-all "/" that answers the 404 page for
// anything else m does not serve.
func (s *Site) Mount(m Mux) {
	for _, r := range s.routes() {
		m.Handle(r.pattern, s.wrap(r.handler))
	}
}

// Handler returns the site mounted on a ServeMux of its own, for tests and
// for programs that serve nothing else.
func (s *Site) Handler() http.Handler {
	mux := http.NewServeMux()
	s.Mount(mux)
	return mux
}

type route struct {
	pattern string
	handler http.HandlerFunc
}

// routes lists the pages. A later page adds its line here and its file
// (handler) and template.
func (s *Site) routes() []route {
	rs := []route{
		{"GET /{$}", s.home},
		{"POST /lang", s.switchLanguage},
		{"GET /fees", s.feesPage},
		{"GET /static/{file}", s.serveAsset},
		{"/", s.NotFound},
	}
	if s.auth != nil {
		rs = append(rs,
			route{"GET /signup", s.signupPage},
			route{"POST /signup", s.signup},
			route{"GET /signup/sent", s.signupSent},
			route{"GET /verify-email", s.verifyEmail},
			route{"GET /login", s.loginPage},
			route{"POST /login", s.login},
			route{"POST /logout", s.logout},
			route{"GET /password/forgot", s.forgotPage},
			route{"POST /password/forgot", s.forgot},
			route{"GET /password/reset", s.resetPage},
			route{"POST /password/reset", s.reset},
			route{"GET /login/2fa", s.login2FAPage},
			route{"POST /login/2fa", s.login2FA},
			route{"GET /account", s.requireUser(s.account)},
			route{"POST /account/verify-email", s.requireUser(s.resendVerification)},
			route{"GET /settings/security", s.requireUser(s.securityPage)},
			route{"POST /settings/security/totp", s.requireUser(s.totpBegin)},
			route{"GET /settings/security/totp", s.requireUser(s.totpPage)},
			route{"GET /settings/security/totp/qr.png", s.requireUser(s.totpQR)},
			route{"POST /settings/security/totp/confirm", s.requireUser(s.totpConfirm)},
			route{"POST /settings/security/disable", s.requireUser(s.twoFactorDisable)},
			route{"POST /settings/security/recovery-codes", s.requireUser(s.recoveryCodes)},
			route{"GET /settings/sessions", s.requireUser(s.sessionsPage)},
			route{"POST /settings/sessions/revoke", s.requireUser(s.revokeSession)},
			route{"POST /settings/sessions/revoke-all", s.requireUser(s.revokeAllSessions)},
			route{"GET /staff/audit", s.requireUser(s.staffAudit)},
		)
	}
	if s.auth != nil && s.wallet != nil {
		rs = append(rs,
			route{"GET /wallet", s.requireUser(s.walletPage)},
			route{"GET /wallet/deposit", s.requireUser(s.depositPage)},
			route{"POST /wallet/deposit/card", s.requireUser(s.depositCard)},
			route{"POST /wallet/deposit/ewallet", s.requireUser(s.depositEWallet)},
			route{"GET /wallet/movements/{id}", s.requireUser(s.movementPage)},
			route{"POST /wallet/movements/{id}/confirm", s.requireUser(s.confirmDeposit)},
			route{"GET /wallet/send", s.requireUser(s.sendPage)},
			route{"POST /wallet/send", s.requireUser(s.sendQuote)},
			route{"POST /wallet/send/confirm", s.requireUser(s.sendConfirm)},
			route{"GET /wallet/request", s.requireUser(s.requestsPage)},
			route{"POST /wallet/request", s.requireUser(s.createRequest)},
			route{"GET /wallet/requests/{id}", s.requireUser(s.requestPage)},
			route{"POST /wallet/requests/{id}/pay", s.requireUser(s.payRequest)},
			route{"POST /wallet/requests/{id}/cancel", s.requireUser(s.cancelRequest)},
			route{"GET /wallet/history", s.requireUser(s.historyPage)},
			route{"GET /wallet/history.csv", s.requireUser(s.historyCSV)},
			route{"GET /wallet/statement", s.requireUser(s.statementPage)},
		)
	}
	if s.auth != nil && s.wallet != nil && s.withdrawals != nil {
		rs = append(rs,
			route{"GET /wallet/withdraw", s.requireUser(s.withdrawPage)},
			route{"POST /wallet/withdraw", s.requireUser(s.withdrawQuote)},
			route{"POST /wallet/withdraw/confirm", s.requireUser(s.withdrawConfirm)},
			route{"GET /wallet/withdrawals/{id}", s.requireUser(s.withdrawalPage)},
			route{"POST /wallet/withdrawals/{id}/cancel", s.requireUser(s.withdrawalCancel)},
		)
	}
	if s.auth != nil && s.wallet != nil && s.exchange != nil {
		rs = append(rs,
			route{"GET /wallet/exchange", s.requireUser(s.exchangePage)},
			route{"POST /wallet/exchange", s.requireUser(s.exchangeQuote)},
			route{"POST /wallet/exchange/confirm", s.requireUser(s.exchangeConfirm)},
		)
	}
	if s.auth != nil && s.fx != nil {
		rs = append(rs,
			route{"GET /staff/rates", s.requireUser(s.staffRates)},
			route{"POST /staff/rates", s.requireUser(s.staffRateSet)},
		)
	}
	if s.auth != nil && s.bank != nil {
		rs = append(rs,
			route{"GET /staff/bank", s.requireUser(s.staffBank)},
			route{"POST /staff/bank/{id}/assign", s.requireUser(s.staffBankAssign)},
			route{"POST /staff/bank/{id}/return", s.requireUser(s.staffBankReturn)},
		)
	}
	if s.auth != nil && s.wallet != nil && s.risk != nil {
		rs = append(rs,
			route{"POST /wallet/movements/{id}/report", s.requireUser(s.reportMovement)},
			route{"GET /staff/risk", s.requireUser(s.staffRisk)},
			route{"POST /staff/risk/{id}/release", s.requireUser(s.staffRiskRelease)},
			route{"POST /staff/risk/{id}/refuse", s.requireUser(s.staffRiskRefuse)},
			route{"POST /staff/risk/users/{user}/lift", s.requireUser(s.staffRiskLift)},
		)
	}
	if s.auth != nil && s.support != nil {
		rs = append(rs, s.supportRoutes()...)
	}
	if s.auth != nil && s.forum != nil {
		rs = append(rs, s.forumRoutes()...)
	}
	if s.auth != nil && s.support != nil && s.chat != nil {
		rs = append(rs, s.chatRoutes()...)
	}
	rs = append(rs, s.merchantRoutes()...)
	rs = append(rs, s.merchantReportRoutes()...)
	rs = append(rs, s.disputeRoutes()...) // disputes.go
	if s.auth != nil && s.kyc != nil {
		rs = append(rs,
			route{"GET /account/limits", s.requireUser(s.limitsPage)},
			route{"POST /account/limits/documents", s.requireUser(s.uploadDocument)},
			route{"GET /account/documents/{id}", s.requireUser(s.downloadDocument)},
			route{"GET /staff/kyc", s.requireUser(s.staffKYC)},
			route{"POST /staff/kyc/{id}", s.requireUser(s.staffKYCDecide)},
		)
	}
	if s.auth != nil && s.corrections != nil {
		rs = append(rs,
			route{"GET /staff/corrections", s.requireUser(s.staffCorrections)},
			route{"POST /staff/corrections", s.requireUser(s.staffCorrectionPropose)},
			route{"POST /staff/corrections/{id}/approve", s.requireUser(s.staffCorrectionApprove)},
			route{"POST /staff/corrections/{id}/reject", s.requireUser(s.staffCorrectionReject)},
		)
	}
	rs = append(rs, s.helpRoutes()...)
	rs = append(rs, s.channelsRoutes()...)
	if s.auth != nil && s.apiKeys != nil {
		rs = append(rs, s.apiKeysRoutes()...)
	}
	if s.auth != nil && s.webhooks != nil && s.webhookMerchants != nil {
		rs = append(rs, s.webhookRoutes()...)
	}
	if s.devClock != nil {
		rs = append(rs,
			route{"GET /dev/clock", s.devOnly(s.devClockPage)},
			route{"POST /dev/clock", s.devOnly(s.devClockChange)},
		)
	}
	return rs
}

// localPath returns next if it is a path on this site ("/wallet?x=1"),
// else "/". It keeps redirects from becoming open redirects to
// "//evil.example" or "/\evil.example".
func localPath(next string) string {
	if next == "" || next[0] != '/' || len(next) > 2048 {
		return "/"
	}
	if len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.IsAbs() || u.Host != "" {
		return "/"
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f {
			return "/"
		}
	}
	return next
}
