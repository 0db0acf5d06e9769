package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Document is the OpenAPI 3.1 document of the registered routes. Every
// route is one operation; the error table is published twice: as the
// enum of the Error schema's code and as x-okpay-error-codes (status,
// type and meaning of each code).
func (g *Registry) Document(baseURL string) map[string]any {
	codes := g.ErrorCodes()
	schemas := g.Schemas()
	// The Error schema lists every code the table has.
	errS := *schemas["Error"]
	inner := *errS.Properties["error"]
	props := map[string]*Schema{}
	for k, v := range inner.Properties {
		props[k] = v
	}
	codeS := *props["code"]
	codeS.Enum = nil
	for _, c := range codes {
		codeS.Enum = append(codeS.Enum, c.Code)
	}
	props["code"] = &codeS
	inner.Properties = props
	errS.Properties = map[string]*Schema{"error": &inner}
	schemas["Error"] = &errS

	table := make([]map[string]any, len(codes))
	var md strings.Builder
	md.WriteString("| code | status | type | meaning |\n|---|---|---|---|\n")
	for i, c := range codes {
		table[i] = map[string]any{"code": c.Code, "status": c.Status, "type": c.Type, "description": c.Doc}
		fmt.Fprintf(&md, "| `%s` | %d | %s | %s |\n", c.Code, c.Status, c.Type, c.Doc)
	}

	paths := map[string]any{}
	for _, rt := range g.Routes() {
		item, _ := paths[rt.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.Path] = item
		}
		item[strings.ToLower(rt.Method)] = operation(rt, codes)
	}
	server := baseURL
	if server == "" {
		server = "/"
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "OKPay API",
			"version": CurrentVersion,
			"description": "The OKPay REST API. Authenticate with a secret key: `Authorization: Bearer sk_live_…` " +
				"(or the key as the basic-auth user name); cookies never authenticate. Every POST needs an " +
				"`Idempotency-Key` header, remembered for 24 hours per key owner and mode. Pin a version with " +
				"the `OKPay-Version` header (current: `" + CurrentVersion + "`). Lists are paginated with `limit`, " +
				"`starting_after` and `ending_before`. Every error has the shape " +
				"`{\"error\":{\"type\",\"code\",\"message\",\"param\"}}` with one of these codes:\n\n" + md.String(),
		},
		"servers": []any{map[string]any{"url": server}},
		"security": []any{
			map[string]any{"bearerAuth": []any{}},
			map[string]any{"basicAuth": []any{}},
		},
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearerAuth": map[string]any{"type": "http", "scheme": "bearer", "description": "A secret key, sk_live_… or sk_test_…"},
				"basicAuth":  map[string]any{"type": "http", "scheme": "basic", "description": "The secret key as the user name, no password."},
			},
			"schemas": schemas,
		},
		"paths":               paths,
		"x-okpay-error-codes": table,
	}
}

var pathParamRE = regexp.MustCompile(`\{([a-z_]+)\}`)

func operation(rt Route, codes []ErrorCode) map[string]any {
	var params []any
	for _, m := range pathParamRE.FindAllStringSubmatch(rt.Path, -1) {
		p := Param{Name: m[1], In: "path", Required: true, Schema: String("")}
		for _, q := range rt.Params {
			if q.Name == m[1] && q.In == "path" {
				p = q
				p.Required = true
			}
		}
		params = append(params, paramJSON(p))
	}
	for _, q := range rt.Params {
		if q.In != "path" {
			params = append(params, paramJSON(q))
		}
	}
	if rt.Method == http.MethodPost {
		params = append(params, map[string]any{
			"name": HeaderIdempotency, "in": "header", "required": true,
			"description": "A unique key for this request (a UUID); repeating it within 24 hours replays the first response.",
			"schema":      map[string]any{"type": "string", "maxLength": maxIdempotencyKey},
		})
	}
	params = append(params, map[string]any{
		"name": HeaderVersion, "in": "header", "required": false,
		"description": "Pins the API version; the response says which version answered.",
		"schema":      map[string]any{"type": "string", "enum": Versions},
	})
	scopes := make([]string, len(rt.Scopes))
	for i, s := range rt.Scopes {
		scopes[i] = string(s)
	}
	desc := rt.Doc
	if len(scopes) > 0 {
		desc += "\n\nScopes needed: " + strings.Join(scopes, ", ") + "."
	}
	if len(rt.Owners) > 0 {
		desc += " Keys of: " + strings.Join(rt.Owners, ", ") + "."
	}
	errs := slices.Clone(rt.Errors)
	slices.Sort(errs)
	op := map[string]any{
		"operationId": rt.OperationID,
		"summary":     rt.Summary,
		"description": strings.TrimSpace(desc),
		"parameters":  params,
		"responses": map[string]any{
			strconv.Itoa(max(rt.Status, 200)): map[string]any{
				"description": "Success.",
				"headers": map[string]any{
					HeaderRequestID: map[string]any{"schema": map[string]any{"type": "string"}, "description": "This request's id, for support."},
					HeaderVersion:   map[string]any{"schema": map[string]any{"type": "string"}, "description": "The API version that answered."},
				},
				"content": map[string]any{"application/json": map[string]any{"schema": rt.Response}},
			},
			"default": map[string]any{
				"description": "An error; see the code table.",
				"content":     map[string]any{"application/json": map[string]any{"schema": Ref("Error")}},
			},
		},
		"x-okpay-scopes": scopes,
		"x-okpay-errors": errs,
	}
	if rt.Tag != "" {
		op["tags"] = []string{rt.Tag}
	}
	if rt.ServedBy != "" {
		op["security"] = []any{} // public: no key
	}
	if rt.Body != nil {
		op["requestBody"] = map[string]any{
			"required": true,
			"content":  map[string]any{"application/json": map[string]any{"schema": rt.Body}},
		}
	}
	return op
}

func paramJSON(p Param) map[string]any {
	m := map[string]any{"name": p.Name, "in": p.In, "required": p.Required, "description": p.Doc}
	if p.Schema != nil {
		m["schema"] = p.Schema
	} else {
		m["schema"] = String("")
	}
	return m
}

// document renders the document once (routes do not change after Mount).
func (a *API) document() ([]byte, error) {
	a.docOnce.Do(func() {
		a.doc, a.docErr = json.MarshalIndent(a.reg.Document(a.base), "", "  ")
	})
	return a.doc, a.docErr
}

func (a *API) serveDocument(w http.ResponseWriter, r *http.Request) {
	b, err := a.document()
	if err != nil {
		a.log.Error("httpapi: openapi document", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write(b)
}
