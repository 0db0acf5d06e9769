package kyc_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okpay/okpay/internal/auth"
	"github.com/okpay/okpay/internal/clock"
	"github.com/okpay/okpay/internal/kyc"
	"github.com/okpay/okpay/internal/ledger"
	"github.com/okpay/okpay/internal/sqlstore"
	"github.com/okpay/okpay/internal/sqlstore/sqltest"
)

// PNG returns a small real PNG image.
func PNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		img.Set(x, x%30, color.RGBA{200, 30, 30, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// PDF is a minimal PDF file.
var PDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

func newService(t *testing.T, e sqlstore.Engine) (*kyc.Service, *sqlstore.DB, *clock.Settable) {
	t.Helper()
	clk := clock.NewSettable(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	db := sqltest.NewDB(t, e, "kyc", clk.Now)
	l := ledger.New(db.Ledger(), ledger.Options{Now: clk.Now})
	t.Cleanup(l.Close)
	s, err := kyc.New(kyc.Options{Store: db.KYC(), Ledger: l, MasterKey: bytes.Repeat([]byte{3}, 32), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s, db, clk
}

// TestDocumentUploadAndReview: the type is the content's, never the
// name's; the file is stored sealed; only the owner and staff open it;
// staff cannot decide their own; approval raises the level once; a
// rejection keeps its reason.
func TestDocumentUploadAndReview(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqlstore.Engine) {
		s, db, clk := newService(t, e)
		ctx := context.Background()
		const user, other = 41, 42
		agent := auth.Actor{UserID: 7, Role: auth.RoleAgent}
		pic := PNG(t)

		for _, c := range []struct {
			name string
			data []byte
			want error
		}{
			{"script.jpg", []byte(strings.Repeat("<script>alert(1)</script>", 10)), kyc.ErrDocumentType},
			{"html.pdf", []byte("<html><body>" + strings.Repeat("x", 100) + "</body></html>"), kyc.ErrDocumentType},
			{"truncated.png", pic[:len(pic)/2], kyc.ErrDocumentType},
			{"empty.png", nil, kyc.ErrDocumentEmpty},
			{"huge.pdf", append(append([]byte{}, PDF...), make([]byte, kyc.MaxDocumentSize)...), kyc.ErrDocumentTooLarge},
		} {
			_, err := s.Upload(ctx, kyc.Upload{UserID: user, Kind: kyc.DocIDCard, Level: kyc.Verified, FileName: c.name, Data: c.data})
			if !errors.Is(err, c.want) {
				t.Errorf("upload %s: %v, want %v", c.name, err, c.want)
			}
		}
		_, err := s.Upload(ctx, kyc.Upload{UserID: user, Kind: kyc.DocIDCard, Level: kyc.Unverified, FileName: "a.png", Data: pic})
		if !errors.Is(err, kyc.ErrDocumentLevel) {
			t.Errorf("asking for unverified: %v", err)
		}

		// A PNG named .pdf is a PNG.
		d, err := s.Upload(ctx, kyc.Upload{UserID: user, Kind: kyc.DocIDCard, Level: kyc.Verified, FileName: `..\..\id "card".pdf`, Data: pic})
		if err != nil {
			t.Fatal(err)
		}
		if d.ContentType != kyc.TypePNG || d.FileName != "id card.pdf" {
			t.Errorf("stored as %q named %q", d.ContentType, d.FileName)
		}
		var sealed []byte
		if err := db.Read().QueryRow(ctx, "SELECT content FROM kyc_documents WHERE id = $1", d.ID).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, pic[8:40]) || len(sealed) <= len(pic) {
			t.Error("the document is stored in the clear")
		}
		if _, data, err := s.Open(ctx, auth.Actor{UserID: user, Role: auth.RoleCustomer}, d.ID, ""); err != nil || !bytes.Equal(data, pic) {
			t.Errorf("owner opens: %v", err)
		}
		if _, _, err := s.Open(ctx, auth.Actor{UserID: other, Role: auth.RoleCustomer}, d.ID, ""); !errors.Is(err, kyc.ErrDocumentNotFound) {
			t.Errorf("another customer opens: %v", err)
		}
		if _, _, err := s.Open(ctx, agent, d.ID, ""); err != nil {
			t.Errorf("an agent opens: %v", err)
		}

		if _, err := s.Decide(ctx, kyc.Decision{Actor: auth.Actor{UserID: other, Role: auth.RoleCustomer}, DocumentID: d.ID, Approve: true}); !errors.Is(err, kyc.ErrForbidden) {
			t.Errorf("a customer decides: %v", err)
		}
		if _, err := s.Decide(ctx, kyc.Decision{Actor: agent, DocumentID: d.ID}); !errors.Is(err, kyc.ErrReasonRequired) {
			t.Errorf("reject without reason: %v", err)
		}
		// Two approvals at once: one wins.
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.Decide(ctx, kyc.Decision{Actor: auth.Actor{UserID: int64(7 + i), Role: auth.RoleAgent}, DocumentID: d.ID, Approve: true})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					wins++
				} else if !errors.Is(err, kyc.ErrDocumentDecided) {
					t.Errorf("approve: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Errorf("%d approvals won, want 1", wins)
		}
		if lv, _ := s.Level(ctx, user); lv != kyc.Verified {
			t.Errorf("level after approval: %s", lv)
		}

		// Business: rejected with a reason; the level stays.
		clk.Add(time.Minute)
		b, err := s.Upload(ctx, kyc.Upload{UserID: user, Kind: kyc.DocBusinessLicence, Level: kyc.Business, FileName: "licence.pdf", Data: PDF})
		if err != nil {
			t.Fatal(err)
		}
		if b.ContentType != kyc.TypePDF {
			t.Errorf("PDF stored as %s", b.ContentType)
		}
		staffDoc, err := s.Upload(ctx, kyc.Upload{UserID: 7, Kind: kyc.DocPassport, Level: kyc.Verified, FileName: "me.png", Data: pic})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Decide(ctx, kyc.Decision{Actor: agent, DocumentID: staffDoc.ID, Approve: true}); !errors.Is(err, kyc.ErrOwnDocument) {
			t.Errorf("an agent approves their own: %v", err)
		}
		if _, err := s.Decide(ctx, kyc.Decision{Actor: agent, DocumentID: b.ID, Reason: "营业执照已过期，请上传有效的执照。"}); err != nil {
			t.Fatal(err)
		}
		ds, err := s.Documents(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 2 || ds[0].Status != kyc.DocRejected || ds[0].Reason != "营业执照已过期，请上传有效的执照。" || ds[1].Status != kyc.DocApproved {
			t.Errorf("documents: %+v", ds)
		}
		if lv, _ := s.Level(ctx, user); lv != kyc.Verified {
			t.Errorf("level after rejection: %s", lv)
		}
	})
}
