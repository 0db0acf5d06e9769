package fx

import (
	"errors"
	"strings"
	"testing"
)

func TestParseECBRefusesInputOverTheLimit(t *testing.T) {
	file := `<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"><Cube>` +
		`<Cube time="2026-11-20"><Cube currency="USD" rate="1.0412"/></Cube></Cube></gesmes:Envelope>`
	if _, err := parseECB(strings.NewReader(file), int64(len(file))); err != nil {
		t.Fatalf("a file of exactly the limit: %v", err)
	}
	_, err := parseECB(strings.NewReader(file+strings.Repeat(" ", 10)), int64(len(file))+5)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("a file over the limit = %v, want a malformed-file error saying it is too large", err)
	}
	if _, err := parseECB(strings.NewReader(file), 40); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "larger than 40 bytes") {
		t.Errorf("a file cut by the limit = %v, want it called too large, not truncated", err)
	}
}
