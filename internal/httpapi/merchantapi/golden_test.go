package merchantapi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/okpay/okpay/internal/httpapi"
	"github.com/okpay/okpay/internal/httpapi/merchantapi"
	"github.com/okpay/okpay/internal/webhook"
)

var update = flag.Bool("update", false, "rewrite testdata/openapi.json")

// TestOpenAPIGolden keeps the published document of the merchant API in
// testdata/openapi.json, so every change to what clients see shows in a
// review (go test -run TestOpenAPIGolden -update rewrites it).
func TestOpenAPIGolden(t *testing.T) {
	reg := httpapi.NewRegistry()
	merchantapi.Register(reg, merchantapi.Options{Webhooks: &webhook.Service{}})
	got, err := json.MarshalIndent(reg.Document(""), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "openapi.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the document differs from %s; review the change and run with -update", path)
	}
}
