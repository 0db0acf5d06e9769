package main

import (
	"net"
	"net/url"
	"strings"

	"github.com/okpay/okpay/internal/announce"
	"github.com/okpay/okpay/internal/channels"
	"github.com/okpay/okpay/internal/config"
	"github.com/okpay/okpay/internal/sqlstore"
)

// newChannels returns the directory of official channels for /contact and
// /verify, which also knows this deployment's own host and support
// mailboxes (so the check never calls the real ones unofficial), and the
// announcements service behind the banners.
func newChannels(cfg config.Config, db *sqlstore.DB) (*channels.Directory, *announce.Service) {
	dir := cfg.Channels
	if dir == nil {
		dir = channels.Default(cfg.Calendar)
	}
	var domains []string
	if u, err := url.Parse(cfg.BaseURL); err == nil {
		// A development address (127.0.0.1, localhost) is no domain.
		if h := u.Hostname(); net.ParseIP(h) == nil && strings.Contains(h, ".") {
			domains = append(domains, h)
		}
	}
	dir = dir.With(domains, []string{cfg.Inbound.Support, cfg.Inbound.Complaints})
	return dir, announce.New(announce.Options{Store: db.Announcements(), Now: cfg.Now})
}
