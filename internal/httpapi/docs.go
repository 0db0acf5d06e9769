package httpapi

import (
	"encoding/json"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// The reference page at /docs/api is drawn by the server from the very
// document /v1/openapi.json serves (decoded back from its JSON), so the
// two cannot disagree. It has no scripts and no outside assets.

type refField struct {
	Name, Type, Doc string
	Required        bool
}

type refOp struct {
	ID, Method, Path, Summary, Doc string
	Scopes                         []string
	Params                         []refField
	Body, Response                 []refField
	Errors                         []string
}

type refPage struct {
	Title, Version, Intro string
	Ops                   []refOp
	Codes                 []map[string]any
}

// inlineCode escapes s and sets its `backticked` spans as code.
func inlineCode(s string) template.HTML {
	parts := strings.Split(template.HTMLEscapeString(s), "`")
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 && i < len(parts)-1 {
			b.WriteString("<code>" + p + "</code>")
			continue
		}
		if i%2 == 1 {
			b.WriteString("`")
		}
		b.WriteString(p)
	}
	return template.HTML(b.String())
}

var refTemplate = template.Must(template.New("ref").Funcs(template.FuncMap{"code": inlineCode}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} reference</title>
<style>
body{font-family:"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",system-ui,sans-serif;line-height:1.6;margin:0;color:#1f2933;background:#fff}
main{max-width:60rem;margin:0 auto;padding:1rem 1.25rem 3rem}
nav{background:#f5f7fa;border-bottom:1px solid #d9e2ec;padding:.75rem 1.25rem}
nav a{margin-right:1rem}
h1{font-size:1.75rem}h2{margin-top:2.5rem;border-top:1px solid #d9e2ec;padding-top:1rem;font-size:1.25rem}
code,.path{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
.method{display:inline-block;min-width:4rem;font-weight:700;color:#0b5394}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border:1px solid #d9e2ec;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f7fa}.req{color:#b42318;font-size:.85em}
pre{white-space:pre-wrap;background:#f5f7fa;padding:.75rem;border-radius:4px}
@media (max-width:640px){table{font-size:.85em}}
</style></head>
<body><nav><a href="/">OKPay</a><a href="/v1/openapi.json">openapi.json</a><a href="#errors">Errors</a></nav>
<main>
<h1>{{.Title}} <small>{{.Version}}</small></h1>
<p>{{code .Intro}}</p>
<h2 id="operations">Operations</h2>
<ul>{{range .Ops}}<li><a href="#{{.ID}}"><span class="method">{{.Method}}</span> <span class="path">{{.Path}}</span></a> — {{.Summary}}</li>{{end}}</ul>
{{range .Ops}}
<section id="{{.ID}}">
<h2><span class="method">{{.Method}}</span> <span class="path">{{.Path}}</span></h2>
<p><strong>{{.Summary}}</strong></p>
<p>{{code .Doc}}</p>
{{if .Scopes}}<p>Scopes: {{range .Scopes}}<code>{{.}}</code> {{end}}</p>{{end}}
{{if .Params}}<h3>Parameters</h3><table><thead><tr><th>name</th><th>type</th><th>description</th></tr></thead><tbody>
{{range .Params}}<tr><td><code>{{.Name}}</code>{{if .Required}} <span class="req">required</span>{{end}}</td><td>{{.Type}}</td><td>{{code .Doc}}</td></tr>{{end}}
</tbody></table>{{end}}
{{if .Body}}<h3>Request body (JSON)</h3><table><thead><tr><th>field</th><th>type</th><th>description</th></tr></thead><tbody>
{{range .Body}}<tr><td><code>{{.Name}}</code>{{if .Required}} <span class="req">required</span>{{end}}</td><td>{{.Type}}</td><td>{{code .Doc}}</td></tr>{{end}}
</tbody></table>{{end}}
<h3>Response</h3><table><thead><tr><th>field</th><th>type</th><th>description</th></tr></thead><tbody>
{{range .Response}}<tr><td><code>{{.Name}}</code></td><td>{{.Type}}</td><td>{{code .Doc}}</td></tr>{{end}}
</tbody></table>
{{if .Errors}}<p>Errors besides the common ones: {{range .Errors}}<a href="#err-{{.}}"><code>{{.}}</code></a> {{end}}</p>{{end}}
</section>
{{end}}
<h2 id="errors">Error codes</h2>
<p>Every error answers <code>{"error":{"type","code","message","param"}}</code>.</p>
<table><thead><tr><th>code</th><th>status</th><th>type</th><th>meaning</th></tr></thead><tbody>
{{range .Codes}}<tr id="err-{{index . "code"}}"><td><code>{{index . "code"}}</code></td><td>{{index . "status"}}</td><td>{{index . "type"}}</td><td>{{code (print (index . "description"))}}</td></tr>{{end}}
</tbody></table>
</main></body></html>
`))

// reference builds the page from the document's JSON.
func reference(doc []byte) (refPage, error) {
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		return refPage{}, err
	}
	info, _ := d["info"].(map[string]any)
	comps, _ := d["components"].(map[string]any)
	defs, _ := comps["schemas"].(map[string]any)
	intro, _ := info["description"].(string)
	if i := strings.Index(intro, "| code |"); i > 0 {
		// The table is drawn at the end of the page.
		intro = strings.TrimSuffix(strings.TrimSpace(intro[:i]), ":") + " listed under Error codes below."
	}
	p := refPage{Title: fmt.Sprint(info["title"]), Version: fmt.Sprint(info["version"]), Intro: intro}
	for _, c := range asSlice(d["x-okpay-error-codes"]) {
		if m, ok := c.(map[string]any); ok {
			p.Codes = append(p.Codes, m)
		}
	}
	paths, _ := d["paths"].(map[string]any)
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		item, _ := paths[path].(map[string]any)
		for _, method := range slices.Sorted(maps.Keys(item)) {
			op, _ := item[method].(map[string]any)
			o := refOp{ID: fmt.Sprint(op["operationId"]), Method: strings.ToUpper(method), Path: path,
				Summary: fmt.Sprint(op["summary"]), Doc: fmt.Sprint(op["description"])}
			for _, s := range asSlice(op["x-okpay-scopes"]) {
				o.Scopes = append(o.Scopes, fmt.Sprint(s))
			}
			for _, s := range asSlice(op["x-okpay-errors"]) {
				o.Errors = append(o.Errors, fmt.Sprint(s))
			}
			for _, q := range asSlice(op["parameters"]) {
				m, _ := q.(map[string]any)
				req, _ := m["required"].(bool)
				s, _ := m["schema"].(map[string]any)
				o.Params = append(o.Params, refField{Name: fmt.Sprint(m["name"]) + " (" + fmt.Sprint(m["in"]) + ")",
					Type: typeOf(s, defs), Doc: fmt.Sprint(m["description"]), Required: req})
			}
			if rb, ok := op["requestBody"].(map[string]any); ok {
				o.Body = fields(contentSchema(rb), defs, "", true, 0)
			}
			if rs, ok := op["responses"].(map[string]any); ok {
				for code, r := range rs {
					if code != "default" {
						o.Response = fields(contentSchema(r.(map[string]any)), defs, "", true, 0)
					}
				}
			}
			p.Ops = append(p.Ops, o)
		}
	}
	return p, nil
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func contentSchema(m map[string]any) map[string]any {
	c, _ := m["content"].(map[string]any)
	j, _ := c["application/json"].(map[string]any)
	s, _ := j["schema"].(map[string]any)
	return s
}

func resolve(s map[string]any, defs map[string]any) map[string]any {
	for i := 0; i < 8 && s != nil; i++ {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		s, _ = defs[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
	}
	return s
}

func typeOf(s map[string]any, defs map[string]any) string {
	if s == nil {
		return ""
	}
	if ref, ok := s["$ref"].(string); ok {
		return strings.TrimPrefix(ref, "#/components/schemas/")
	}
	var t string
	switch x := s["type"].(type) {
	case string:
		t = x
	case []any:
		var parts []string
		for _, p := range x {
			parts = append(parts, fmt.Sprint(p))
		}
		t = strings.Join(parts, " | ")
	}
	if t == "array" {
		if it, ok := s["items"].(map[string]any); ok {
			t = "array of " + typeOf(it, defs)
		}
	}
	if e := asSlice(s["enum"]); len(e) > 0 && len(e) <= 12 {
		var vs []string
		for _, v := range e {
			vs = append(vs, fmt.Sprint(v))
		}
		t += " (" + strings.Join(vs, ", ") + ")"
	}
	if c, ok := s["const"]; ok {
		t += " = " + fmt.Sprint(c)
	}
	return t
}

// fields flattens an object schema into rows, dotted for nested objects.
func fields(s map[string]any, defs map[string]any, prefix string, required bool, depth int) []refField {
	s = resolve(s, defs)
	if s == nil || depth > 3 {
		return nil
	}
	if t, _ := s["type"].(string); t == "array" {
		if it, ok := s["items"].(map[string]any); ok {
			return fields(it, defs, prefix+"[]", required, depth+1)
		}
	}
	props, _ := s["properties"].(map[string]any)
	req := map[string]bool{}
	for _, r := range asSlice(s["required"]) {
		req[fmt.Sprint(r)] = true
	}
	var out []refField
	for _, k := range slices.Sorted(maps.Keys(props)) {
		ps, _ := props[k].(map[string]any)
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		doc, _ := resolve(ps, defs)["description"].(string)
		if d, ok := ps["description"].(string); ok {
			doc = d
		}
		out = append(out, refField{Name: name, Type: typeOf(ps, defs), Doc: doc, Required: req[k]})
		r := resolve(ps, defs)
		if _, ok := r["properties"]; ok {
			out = append(out, fields(r, defs, name, req[k], depth+1)...)
		} else if it, ok := r["items"].(map[string]any); ok {
			if ri := resolve(it, defs); ri != nil && ri["properties"] != nil {
				out = append(out, fields(ri, defs, name+"[]", false, depth+1)...)
			}
		}
	}
	return out
}

func (a *API) serveReference(w http.ResponseWriter, r *http.Request) {
	doc, err := a.document()
	var p refPage
	if err == nil {
		p, err = reference(doc)
	}
	if err != nil {
		a.log.Error("httpapi: reference page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	if err := refTemplate.Execute(w, p); err != nil {
		a.log.Error("httpapi: reference page", "err", err)
	}
}
