// Package apitest checks API responses against the OpenAPI document a
// running server serves (/v1/openapi.json), decoded back into
// httpapi.Schema, so tests prove that what clients receive is what the
// document promises. It is for tests; it knows nothing of any route.
package apitest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/okpay/okpay/internal/httpapi"
)

// Document is a served OpenAPI document.
type Document struct {
	paths map[string]map[string]json.RawMessage // path template -> method -> operation
	defs  map[string]*httpapi.Schema
	raw   map[string]any
}

// Raw is the whole document as decoded JSON, for tests that read it.
func (d *Document) Raw() map[string]any { return d.raw }

// Schema is the named component schema (nil when there is none).
func (d *Document) Schema(name string) *httpapi.Schema { return d.defs[name] }

// Schemas are the component schemas, for httpapi.Validate.
func (d *Document) Schemas() map[string]*httpapi.Schema { return d.defs }

// Fetch reads baseURL + "/v1/openapi.json".
func Fetch(c *http.Client, baseURL string) (*Document, error) {
	res, err := c.Get(strings.TrimRight(baseURL, "/") + "/v1/openapi.json")
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("apitest: GET /v1/openapi.json: %d", res.StatusCode)
	}
	return Parse(b)
}

// Parse decodes a document.
func Parse(b []byte) (*Document, error) {
	var d struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]*httpapi.Schema `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("apitest: document: %w", err)
	}
	if d.Components.Schemas["Error"] == nil || len(d.Paths) == 0 {
		return nil, fmt.Errorf("apitest: the document has no paths or no Error schema")
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("apitest: document: %w", err)
	}
	return &Document{paths: d.Paths, defs: d.Components.Schemas, raw: raw}, nil
}

// Route returns the document's path template that path (without query)
// matches, a "{…}" segment matching any one segment; "" when none does.
func (d *Document) Route(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	best, bestExact := "", -1
	for tmpl := range d.paths {
		ts := strings.Split(strings.Trim(tmpl, "/"), "/")
		if len(ts) != len(segs) {
			continue
		}
		ok, exact := true, 0
		for i, t := range ts {
			switch {
			case t == segs[i]:
				exact++
			case strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}"):
			default:
				ok = false
			}
		}
		// A literal segment beats a parameter (/v1/a/b over /v1/a/{id}).
		if ok && exact > bestExact {
			best, bestExact = tmpl, exact
		}
	}
	return best
}

// Check validates one response: an error (status 400 and above) against
// the Error schema, a success against the schema of the route's response
// of that status. It fails for a path or status the document lacks.
func (d *Document) Check(method, path string, status int, body []byte) error {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	v, err := httpapi.DecodeJSON(body)
	if err != nil {
		return fmt.Errorf("%s %s: not JSON: %w", method, path, err)
	}
	schema := d.defs["Error"]
	if status < 400 {
		tmpl := d.Route(path)
		if tmpl == "" {
			return fmt.Errorf("%s %s: no such path in the document", method, path)
		}
		var op struct {
			Responses map[string]struct {
				Content map[string]struct {
					Schema *httpapi.Schema `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		}
		raw, ok := d.paths[tmpl][strings.ToLower(method)]
		if !ok {
			return fmt.Errorf("%s %s: the document has no %s on %s", method, path, method, tmpl)
		}
		if err := json.Unmarshal(raw, &op); err != nil {
			return err
		}
		r, ok := op.Responses[strconv.Itoa(status)]
		if !ok || r.Content["application/json"].Schema == nil {
			return fmt.Errorf("%s %s: the document has no %d response", method, path, status)
		}
		schema = r.Content["application/json"].Schema
	}
	if err := httpapi.Validate(schema, d.defs, v); err != nil {
		return fmt.Errorf("%s %s (%d): the response does not fit the served schema: %w\n%s", method, path, status, err, body)
	}
	return nil
}
