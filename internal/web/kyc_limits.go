package web

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/okpay/okpay/internal/kyc"
	"github.com/okpay/okpay/internal/money"
	"github.com/okpay/okpay/internal/wallet"
)

// limitErrorKeys say what a refusal of a limit means; the page adds the
// limit and what is left of it (limitRefusal).
var limitErrorKeys = map[wallet.Code]string{
	wallet.CodeSendLimit:             "kyc.error.send_limit",
	wallet.CodeWithdrawLimit:         "kyc.error.withdraw_limit",
	wallet.CodeHoldingLimit:          "kyc.error.holding_limit",
	wallet.CodeRecipientHoldingLimit: "kyc.error.recipient_holding_limit",
}

// limitKinds says which limit each refusal is about.
var limitKinds = map[wallet.Code]kyc.Kind{
	wallet.CodeSendLimit:     kyc.KindSend,
	wallet.CodeWithdrawLimit: kyc.KindWithdraw,
	wallet.CodeHoldingLimit:  kyc.KindHolding,
}

// kycLevelKeys, kycKindKeys, kycDocKindKeys and kycStatusKeys name levels,
// limits, documents and review states.
var kycLevelKeys = map[kyc.Level]string{
	kyc.Unverified: "kyc.level.unverified",
	kyc.Verified:   "kyc.level.verified",
	kyc.Business:   "kyc.level.business",
}

var kycKindKeys = map[kyc.Kind]string{
	kyc.KindSend:     "kyc.kind.send",
	kyc.KindWithdraw: "kyc.kind.withdraw",
	kyc.KindHolding:  "kyc.kind.holding",
}

var kycDocKindKeys = map[kyc.DocumentKind]string{
	kyc.DocIDCard:          "kyc.doc.id_card",
	kyc.DocPassport:        "kyc.doc.passport",
	kyc.DocProofOfAddress:  "kyc.doc.proof_of_address",
	kyc.DocBusinessLicence: "kyc.doc.business_licence",
}

var kycStatusKeys = map[kyc.DocumentStatus]string{
	kyc.DocPending:  "kyc.status.pending",
	kyc.DocApproved: "kyc.status.approved",
	kyc.DocRejected: "kyc.status.rejected",
}

// kycUploadErrorKeys explain a refused upload.
var kycUploadErrorKeys = map[error]string{
	kyc.ErrDocumentEmpty:    "kyc.upload.error.empty",
	kyc.ErrDocumentTooLarge: "kyc.upload.error.too_large",
	kyc.ErrDocumentType:     "kyc.upload.error.type",
	kyc.ErrDocumentKind:     "kyc.upload.error.kind",
	kyc.ErrDocumentLevel:    "kyc.upload.error.level",
	kyc.ErrTooManyPending:   "kyc.upload.error.too_many",
}

// limitRefusal is a refusal of a limit in the reader's language, with the
// limit and what is left of it for the signed-in user.
func (s *Site) limitRefusal(r *http.Request, err error) (walletError, bool) {
	code := wallet.ErrorCode(err)
	key, ok := limitErrorKeys[code]
	if !ok || s.kyc == nil {
		return walletError{}, false
	}
	loc := s.Locale(r)
	we := walletError{Code: string(code), Message: loc.T(key)}
	if k, ok := limitKinds[code]; ok {
		if si := currentUser(r); si != nil {
			u, lerr := s.kyc.Left(r.Context(), si.user.ID, k)
			if lerr != nil {
				s.log.Error("web: limit left", "err", lerr)
				return we, true
			}
			we.Message = loc.T(key, "limit", money.Format(u.Limit, loc.Code()), "left", money.Format(u.Left, loc.Code()))
		}
	}
	return we, true
}

// limitsData is what kyc_limits.html shows.
type limitsData struct {
	Overview  kyc.Overview
	LevelName string
	NextName  string
	Rows      []limitRow
	Next      []limitRow
	Documents []documentRow
	Kinds     []kindOption
	Levels    []kindOption
	Uploaded  bool
	Error     string
	Kind      string
	Level     string
}

type limitRow struct {
	Name              string
	Monthly           bool
	Limit, Used, Left money.Amount
}

type documentRow struct {
	kyc.Document
	KindName, StatusName, LevelName string
}

type kindOption struct{ Value, Name string }

// limitsPage shows the user's level, each limit with what is left this
// month, what verifying would give, and their documents with any
// rejection's reason, beside the upload form.
func (s *Site) limitsPage(w http.ResponseWriter, r *http.Request, si *signedIn) {
	s.renderLimits(w, r, si, http.StatusOK, limitsData{Uploaded: r.URL.Query().Get("uploaded") == "1"})
}

func (s *Site) renderLimits(w http.ResponseWriter, r *http.Request, si *signedIn, status int, d limitsData) {
	ctx := r.Context()
	loc := s.Locale(r)
	o, err := s.kyc.Overview(ctx, si.user.ID)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	d.Overview, d.LevelName = o, loc.T(kycLevelKeys[o.Level])
	for _, u := range o.Usage {
		d.Rows = append(d.Rows, limitRow{Name: loc.T(kycKindKeys[u.Kind]), Monthly: u.Kind != kyc.KindHolding,
			Limit: u.Limit, Used: u.Used, Left: u.Left})
	}
	if o.Next != "" {
		d.NextName = loc.T(kycLevelKeys[o.Next])
		usd := func(n int64) money.Amount { return money.Amount{Minor: n, Currency: kyc.USD} }
		d.Next = []limitRow{
			{Name: loc.T(kycKindKeys[kyc.KindSend]), Monthly: true, Limit: usd(o.NextLimit.SendMonthly)},
			{Name: loc.T(kycKindKeys[kyc.KindWithdraw]), Monthly: true, Limit: usd(o.NextLimit.WithdrawMonthly)},
			{Name: loc.T(kycKindKeys[kyc.KindHolding]), Limit: usd(o.NextLimit.Holding)},
		}
	}
	docs, err := s.kyc.Documents(ctx, si.user.ID)
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	d.Documents = s.documentRows(r, docs)
	for _, k := range kyc.DocumentKinds {
		d.Kinds = append(d.Kinds, kindOption{string(k), loc.T(kycDocKindKeys[k])})
	}
	for _, l := range kyc.Levels {
		if o.Level.Below(l) {
			d.Levels = append(d.Levels, kindOption{string(l), loc.T(kycLevelKeys[l])})
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, status, "kyc_limits", d)
}

func (s *Site) documentRows(r *http.Request, docs []kyc.Document) []documentRow {
	loc := s.Locale(r)
	rows := make([]documentRow, len(docs))
	for i, d := range docs {
		rows[i] = documentRow{Document: d, KindName: loc.T(kycDocKindKeys[d.Kind]),
			StatusName: loc.T(kycStatusKeys[d.Status]), LevelName: loc.T(kycLevelKeys[d.Level])}
	}
	return rows
}

// uploadDocument takes one identity document (multipart form, at most
// kyc.MaxDocumentSize) and queues it for review.
func (s *Site) uploadDocument(w http.ResponseWriter, r *http.Request, si *signedIn) {
	loc := s.Locale(r)
	r.Body = http.MaxBytesReader(w, r.Body, kyc.MaxDocumentSize+64<<10)
	d := limitsData{}
	fail := func(key string) {
		d.Error = loc.T(key)
		s.renderLimits(w, r, si, http.StatusUnprocessableEntity, d)
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			fail("kyc.upload.error.too_large")
			return
		}
		fail("kyc.upload.error.empty")
		return
	}
	defer r.MultipartForm.RemoveAll()
	d.Kind, d.Level = r.PostFormValue("kind"), r.PostFormValue("level")
	f, hdr, err := r.FormFile("file")
	if err != nil {
		fail("kyc.upload.error.empty")
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, kyc.MaxDocumentSize+1))
	if err != nil {
		fail("kyc.upload.error.empty")
		return
	}
	_, err = s.kyc.Upload(r.Context(), kyc.Upload{UserID: si.user.ID, Kind: kyc.DocumentKind(d.Kind),
		Level: kyc.Level(d.Level), FileName: hdr.Filename, Data: data, IP: clientIP(r)})
	if err != nil {
		for e, key := range kycUploadErrorKeys {
			if errors.Is(err, e) {
				fail(key)
				return
			}
		}
		s.ServerError(w, r, err)
		return
	}
	http.Redirect(w, r, "/account/limits?uploaded=1", http.StatusSeeOther)
}

// downloadDocument sends a document back to its owner or to staff, as an
// attachment of its sniffed type, never rendered in the page's origin.
func (s *Site) downloadDocument(w http.ResponseWriter, r *http.Request, si *signedIn) {
	d, data, err := s.kyc.Open(r.Context(), actor(si), r.PathValue("id"), clientIP(r))
	if errors.Is(err, kyc.ErrDocumentNotFound) {
		s.NotFound(w, r)
		return
	}
	if err != nil {
		s.ServerError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", d.ContentType)
	h.Set("Content-Disposition", `attachment; filename="document-`+d.ID+d.Ext()+`"`)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}
