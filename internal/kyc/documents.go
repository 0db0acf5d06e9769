package kyc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/okpay/okpay/internal/audit"
	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/upload"
)

// DocumentKind is what a document is.
type DocumentKind string

// The documents a user may upload.
const (
	DocIDCard          DocumentKind = "id_card"
	DocPassport        DocumentKind = "passport"
	DocProofOfAddress  DocumentKind = "proof_of_address"
	DocBusinessLicence DocumentKind = "business_licence"
)

// DocumentKinds lists every kind.
var DocumentKinds = []DocumentKind{DocIDCard, DocPassport, DocProofOfAddress, DocBusinessLicence}

// DocumentStatus is where a document's review is.
type DocumentStatus string

// Document statuses; approved and rejected are final.
const (
	DocPending  DocumentStatus = "pending"
	DocApproved DocumentStatus = "approved"
	DocRejected DocumentStatus = "rejected"
)

// The types a document may be, by its content.
const (
	TypeJPEG = upload.JPEG
	TypePNG  = upload.PNG
	TypePDF  = upload.PDF
)

// Size limits of a document.
const (
	MaxDocumentSize = 5 << 20
	minDocumentSize = 64
	// maxPixels bounds a decoded image (a small file can claim a huge
	// picture).
	maxPixels = 60_000_000
	// MaxReason is the longest rejection reason, in characters.
	MaxReason = 500
)

// Document is an uploaded identity document.
type Document struct {
	// ID is "doc_" and 26 random base32 characters: unguessable.
	ID     string
	UserID int64
	Kind   DocumentKind
	// Level is the level the document asks for.
	Level Level
	// FileName is the uploaded name, cleaned, shown to people only.
	FileName string
	// ContentType is what the bytes are (TypeJPEG, TypePNG, TypePDF).
	ContentType string
	Size        int64
	SHA256      string
	// Sealed is the file sealed under the document's purpose and id.
	Sealed     []byte
	Status     DocumentStatus
	Reason     string
	ReviewedBy int64
	ReviewedAt time.Time
	CreatedAt  time.Time
}

// Ext is the file extension of the document's type.
func (d Document) Ext() string {
	switch d.ContentType {
	case TypeJPEG:
		return ".jpg"
	case TypePNG:
		return ".png"
	}
	return ".pdf"
}

// Errors of documents. The web layer maps each to a message.
var (
	ErrDocumentNotFound = errors.New("kyc: document not found")
	ErrDocumentEmpty    = errors.New("kyc: document is empty")
	ErrDocumentTooLarge = errors.New("kyc: document too large")
	ErrDocumentType     = errors.New("kyc: document is not a JPEG, PNG or PDF")
	ErrDocumentKind     = errors.New("kyc: unknown document kind")
	ErrDocumentLevel    = errors.New("kyc: a document can only ask for a higher level")
	ErrDocumentDecided  = errors.New("kyc: document already decided")
	ErrReasonRequired   = errors.New("kyc: a rejection needs a reason")
	ErrReasonTooLong    = errors.New("kyc: reason too long")
	ErrOwnDocument      = errors.New("kyc: staff cannot review their own document")
	ErrForbidden        = errors.New("kyc: not allowed")
	ErrTooManyPending   = errors.New("kyc: too many documents waiting for review")
	errNoUser           = errors.New("kyc: no user")
)

const (
	// maxPendingPerUser bounds what one user can put in the queue.
	maxPendingPerUser    = 5
	documentIDAlphabet   = "0123456789abcdefghjkmnpqrstvwxyz"
	documentIDRandomPart = 26
)

// Audit actions of documents.
const (
	ActionDocumentUploaded = "kyc_document_uploaded"
	ActionDocumentApproved = "kyc_document_approved"
	ActionDocumentRejected = "kyc_document_rejected"
	ActionDocumentViewed   = "kyc_document_viewed"
	ActionLevelRaised      = "kyc_level_raised"
)

func newDocumentID() string {
	b := make([]byte, documentIDRandomPart)
	rand.Read(b)
	for i := range b {
		b[i] = documentIDAlphabet[int(b[i])%len(documentIDAlphabet)]
	}
	return "doc_" + string(b)
}

// ValidDocumentID reports whether s has the form of a document id.
func ValidDocumentID(s string) bool {
	rest, ok := strings.CutPrefix(s, "doc_")
	if !ok || len(rest) != documentIDRandomPart {
		return false
	}
	for _, c := range rest {
		if !strings.ContainsRune(documentIDAlphabet, c) {
			return false
		}
	}
	return true
}

// Upload is a document a user sends.
type Upload struct {
	UserID   int64
	Kind     DocumentKind
	Level    Level
	FileName string
	Data     []byte
	IP       string
}

// Upload checks, seals and stores a document for review. Errors:
// ErrDocumentEmpty, ErrDocumentTooLarge, ErrDocumentType,
// ErrDocumentKind, ErrDocumentLevel (asking for a level the user has, or
// an unknown one), ErrTooManyPending.
func (s *Service) Upload(ctx context.Context, u Upload) (Document, error) {
	ctx = context.WithoutCancel(ctx)
	if u.UserID <= 0 {
		return Document{}, errNoUser
	}
	known := false
	for _, k := range DocumentKinds {
		known = known || k == u.Kind
	}
	if !known {
		return Document{}, ErrDocumentKind
	}
	if len(u.Data) == 0 {
		return Document{}, ErrDocumentEmpty
	}
	if len(u.Data) > MaxDocumentSize {
		return Document{}, ErrDocumentTooLarge
	}
	if len(u.Data) < minDocumentSize {
		return Document{}, ErrDocumentType
	}
	ct, err := sniffDocument(u.Data)
	if err != nil {
		return Document{}, err
	}
	cur, err := s.Level(ctx, u.UserID)
	if err != nil {
		return Document{}, err
	}
	if !u.Level.Valid() || u.Level == Unverified || !cur.Below(u.Level) {
		return Document{}, ErrDocumentLevel
	}
	mine, err := s.store.Documents(ctx, u.UserID)
	if err != nil {
		return Document{}, fmt.Errorf("kyc: documents: %w", err)
	}
	pending := 0
	for _, d := range mine {
		if d.Status == DocPending {
			pending++
		}
	}
	if pending >= maxPendingPerUser {
		return Document{}, ErrTooManyPending
	}
	sum := sha256.Sum256(u.Data)
	d := Document{
		ID: newDocumentID(), UserID: u.UserID, Kind: u.Kind, Level: u.Level, FileName: upload.FileName(u.FileName),
		ContentType: ct, Size: int64(len(u.Data)), SHA256: hex.EncodeToString(sum[:]), Status: DocPending,
		CreatedAt: s.now().UTC(),
	}
	if d.Sealed, err = s.box.Seal(u.Data, sealAD(d.ID)); err != nil {
		return Document{}, fmt.Errorf("kyc: seal: %w", err)
	}
	err = s.store.InTx(ctx, func(tx Tx) error {
		if err := tx.InsertDocument(ctx, d); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{ActorID: u.UserID, ActorRole: string(auth.RoleCustomer),
			Action: ActionDocumentUploaded, TargetType: "kyc_document", TargetID: d.ID, IP: u.IP,
			Details: map[string]string{"kind": string(d.Kind), "level": string(d.Level), "type": ct,
				"size": strconv.FormatInt(d.Size, 10), "sha256": d.SHA256}})
	})
	if err != nil {
		return Document{}, fmt.Errorf("kyc: store document: %w", err)
	}
	d.Sealed = nil
	return d, nil
}

func sealAD(id string) string { return "kyc_document:" + id }

// Documents lists the user's own documents, newest first.
func (s *Service) Documents(ctx context.Context, userID int64) ([]Document, error) {
	ds, err := s.store.Documents(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("kyc: documents: %w", err)
	}
	return ds, nil
}

// Pending lists the documents waiting for review, oldest first, for
// staff. Errors: ErrForbidden.
func (s *Service) Pending(ctx context.Context, a auth.Actor) ([]Document, error) {
	if auth.Authorize(a, auth.ActionKYCReview, auth.Resource{Kind: "kyc_document"}) != nil {
		return nil, ErrForbidden
	}
	ds, err := s.store.Pending(ctx, 200)
	if err != nil {
		return nil, fmt.Errorf("kyc: pending documents: %w", err)
	}
	return ds, nil
}

// Open returns a document with its file, to its owner or to staff; a
// staff member's reading is audited. Errors: ErrDocumentNotFound (also
// for someone else's document, so ids cannot be probed).
func (s *Service) Open(ctx context.Context, a auth.Actor, id, ip string) (Document, []byte, error) {
	if !ValidDocumentID(id) {
		return Document{}, nil, ErrDocumentNotFound
	}
	d, err := s.store.Document(ctx, id)
	if err != nil {
		return Document{}, nil, err
	}
	own := a.UserID > 0 && a.UserID == d.UserID
	if !own && auth.Authorize(a, auth.ActionKYCReview, auth.Resource{Kind: "kyc_document", OwnerID: d.UserID}) != nil {
		return Document{}, nil, ErrDocumentNotFound
	}
	data, err := s.box.Open(d.Sealed, sealAD(d.ID))
	if err != nil {
		return Document{}, nil, fmt.Errorf("kyc: open %s: %w", d.ID, err)
	}
	if !own {
		err := s.store.InTx(ctx, func(tx Tx) error {
			return audit.Record(ctx, tx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role),
				Action: ActionDocumentViewed, TargetType: "kyc_document", TargetID: d.ID, IP: ip,
				Details: map[string]string{"user": strconv.FormatInt(d.UserID, 10)}})
		})
		if err != nil {
			return Document{}, nil, fmt.Errorf("kyc: audit view: %w", err)
		}
	}
	d.Sealed = nil
	return d, data, nil
}

// Decision is a staff member's review of a document.
type Decision struct {
	Actor      auth.Actor
	DocumentID string
	Approve    bool
	// Reason is shown to the user; required to reject.
	Reason string
	IP     string
}

// Decide approves a document (the user's level rises to the document's,
// never falls) or rejects it with a reason the user reads. A document is
// decided once: of two staff deciding at once, one wins and the other gets
// ErrDocumentDecided. The audit record commits with the decision. Errors:
// ErrForbidden, ErrDocumentNotFound, ErrDocumentDecided, ErrOwnDocument,
// ErrReasonRequired, ErrReasonTooLong.
func (s *Service) Decide(ctx context.Context, dc Decision) (Document, error) {
	ctx = context.WithoutCancel(ctx)
	if auth.Authorize(dc.Actor, auth.ActionKYCReview, auth.Resource{Kind: "kyc_document"}) != nil {
		return Document{}, ErrForbidden
	}
	if !ValidDocumentID(dc.DocumentID) {
		return Document{}, ErrDocumentNotFound
	}
	reason := strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(dc.Reason, "")))
	if utf8.RuneCountInString(reason) > MaxReason {
		return Document{}, ErrReasonTooLong
	}
	if !dc.Approve && reason == "" {
		return Document{}, ErrReasonRequired
	}
	d, err := s.store.Document(ctx, dc.DocumentID)
	if err != nil {
		return Document{}, err
	}
	if d.UserID == dc.Actor.UserID {
		return Document{}, ErrOwnDocument
	}
	if d.Status != DocPending {
		return Document{}, ErrDocumentDecided
	}
	now := s.now().UTC()
	d.Status, d.Reason, d.ReviewedBy, d.ReviewedAt = DocRejected, reason, dc.Actor.UserID, now
	action := ActionDocumentRejected
	if dc.Approve {
		d.Status, action = DocApproved, ActionDocumentApproved
	}
	errLost := errors.New("lost")
	err = s.store.InTx(ctx, func(tx Tx) error {
		ok, err := tx.DecideDocument(ctx, d)
		if err != nil {
			return err
		}
		if !ok {
			return errLost
		}
		ev := audit.Event{ActorID: dc.Actor.UserID, ActorRole: string(dc.Actor.Role), Action: action,
			TargetType: "kyc_document", TargetID: d.ID, IP: dc.IP,
			Details: map[string]string{"user": strconv.FormatInt(d.UserID, 10), "level": string(d.Level), "reason": reason}}
		if err := audit.Record(ctx, tx, ev); err != nil {
			return err
		}
		if !dc.Approve {
			return nil
		}
		rose, err := tx.RaiseLevel(ctx, d.UserID, d.Level, d.ID, dc.Actor.UserID, now)
		if err != nil || !rose {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{ActorID: dc.Actor.UserID, ActorRole: string(dc.Actor.Role),
			Action: ActionLevelRaised, TargetType: "user", TargetID: strconv.FormatInt(d.UserID, 10), IP: dc.IP,
			Details: map[string]string{"level": string(d.Level), "document": d.ID}})
	})
	if errors.Is(err, errLost) {
		return Document{}, ErrDocumentDecided
	}
	if err != nil {
		return Document{}, fmt.Errorf("kyc: decide %s: %w", d.ID, err)
	}
	d.Sealed = nil
	return d, nil
}

// sniffDocument is what a document is, by its content (upload.Sniff).
// Errors: ErrDocumentType.
func sniffDocument(data []byte) (string, error) {
	ct, ok := upload.Sniff(data, maxPixels)
	if !ok {
		return "", ErrDocumentType
	}
	return ct, nil
}
