package support

import (
	"bytes"
	"context"
	"net/http"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Attachment limits.
const (
	MaxAttachmentSize = 5 << 20 // bytes, each
	MaxAttachments    = 5       // per message
	maxNameLen        = 120     // runes
)

// allowedTypes are the types the desk keeps, by what the bytes are
// (sniffed), not what the sender declared: screenshots and documents.
var allowedTypes = map[string]string{
	"image/png":       ".png",
	"image/jpeg":      ".jpg",
	"image/gif":       ".gif",
	"image/webp":      ".webp",
	"application/pdf": ".pdf",
}

// checkAttachment returns the content type the bytes really are and a
// safe file name, or a FieldError.
func checkAttachment(a Attachment) (ctype, name string, err error) {
	if len(a.Data) == 0 {
		return "", "", invalid("attachment", "empty")
	}
	if len(a.Data) > MaxAttachmentSize {
		return "", "", invalid("attachment", "too_large")
	}
	ctype = http.DetectContentType(a.Data)
	if i := strings.IndexByte(ctype, ';'); i >= 0 {
		ctype = ctype[:i]
	}
	if ctype == "application/octet-stream" && bytes.HasPrefix(a.Data, []byte("RIFF")) && len(a.Data) > 12 && string(a.Data[8:12]) == "WEBP" {
		ctype = "image/webp"
	}
	ext, ok := allowedTypes[ctype]
	if !ok {
		return "", "", invalid("attachment", "type")
	}
	return ctype, safeName(a.Name, ext), nil
}

// safeName keeps the base name's letters, digits and a few marks, and
// gives it the extension of its real type.
func safeName(name, ext string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.TrimSuffix(name, path.Ext(name))
	var b strings.Builder
	n := 0
	for _, r := range name {
		if n >= maxNameLen {
			break
		}
		if r == utf8.RuneError || r < ' ' || strings.ContainsRune(`"/\:*?<>|;`, r) || r == 0x7f {
			r = '_'
		}
		b.WriteRune(r)
		n++
	}
	s := strings.TrimSpace(b.String())
	if s == "" || s == "." || s == ".." {
		s = "attachment"
	}
	return s + ext
}

// attachmentAD binds a sealed attachment to its message (which keeps its
// id when a merge moves it to another ticket).
func attachmentAD(messageID int64) string {
	return "support.attachment:" + strconv.FormatInt(messageID, 10)
}

// storeAttachments checks, seals and stores a message's attachments.
// With strict, a bad one refuses everything (forms); otherwise it is left
// out and named in the returned list (mail, which cannot be refused).
func (s *Service) storeAttachments(ctx context.Context, tx Tx, ticketID, messageID int64, as []Attachment, strict bool) (refused []string, err error) {
	if strict && len(as) > MaxAttachments {
		return nil, invalid("attachment", "too_many")
	}
	for i, a := range as {
		if i >= MaxAttachments {
			refused = append(refused, a.Name)
			continue
		}
		ctype, name, err := checkAttachment(a)
		if err != nil {
			if strict {
				return nil, err
			}
			refused = append(refused, safeName(a.Name, ""))
			continue
		}
		sealed, err := s.box.Seal(a.Data, attachmentAD(messageID))
		if err != nil {
			return nil, err
		}
		if _, err := tx.InsertAttachment(ctx, AttachmentInfo{TicketID: ticketID, MessageID: messageID, Name: name, ContentType: ctype,
			Size: int64(len(a.Data)), CreatedAt: s.nowUTC()}, sealed); err != nil {
			return nil, err
		}
	}
	return refused, nil
}
