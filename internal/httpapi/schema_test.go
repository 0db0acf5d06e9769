package httpapi_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/okpay/okpay/internal/httpapi"
)

func TestValidateTheSubsetWeEmit(t *testing.T) {
	defs := map[string]*httpapi.Schema{
		"Party": httpapi.Object("", map[string]*httpapi.Schema{"name": httpapi.String("")}),
	}
	s := httpapi.Object("", map[string]*httpapi.Schema{
		"object": httpapi.Const("thing"),
		"amount": httpapi.Integer("").Between(1, 100),
		"status": httpapi.Enum("", "a", "b"),
		"note":   httpapi.Nullable(httpapi.String("").Len(0, 3)),
		"party":  httpapi.Ref("Party"),
		"tags":   httpapi.Array("", httpapi.String("")),
	}, "note", "tags")
	tests := []struct {
		name, json string
		path       string // "" when valid
		missing    bool
		unknown    bool
	}{
		{"valid", `{"object":"thing","amount":5,"status":"a","party":{"name":"x"}}`, "", false, false},
		{"null note", `{"object":"thing","amount":5,"status":"a","party":{"name":"x"},"note":null,"tags":["q"]}`, "", false, false},
		{"missing", `{"object":"thing","status":"a","party":{"name":"x"}}`, "amount", true, false},
		{"unknown", `{"object":"thing","amount":5,"status":"a","party":{"name":"x"},"extra":1}`, "extra", false, true},
		{"nested unknown", `{"object":"thing","amount":5,"status":"a","party":{"name":"x","age":3}}`, "party.age", false, true},
		{"nested missing", `{"object":"thing","amount":5,"status":"a","party":{}}`, "party.name", true, false},
		{"float", `{"object":"thing","amount":5.5,"status":"a","party":{"name":"x"}}`, "amount", false, false},
		{"string amount", `{"object":"thing","amount":"5","status":"a","party":{"name":"x"}}`, "amount", false, false},
		{"too big", `{"object":"thing","amount":101,"status":"a","party":{"name":"x"}}`, "amount", false, false},
		{"enum", `{"object":"thing","amount":5,"status":"c","party":{"name":"x"}}`, "status", false, false},
		{"const", `{"object":"other","amount":5,"status":"a","party":{"name":"x"}}`, "object", false, false},
		{"long", `{"object":"thing","amount":5,"status":"a","party":{"name":"x"},"note":"名名名名"}`, "note", false, false},
		{"item", `{"object":"thing","amount":5,"status":"a","party":{"name":"x"},"tags":[1]}`, "tags[0]", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := httpapi.DecodeJSON([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			err = httpapi.Validate(s, defs, v)
			if tt.path == "" {
				if err != nil {
					t.Errorf("Validate = %v, want valid", err)
				}
				return
			}
			var ve *httpapi.ValidationError
			if !errors.As(err, &ve) || ve.Path != tt.path || ve.Missing != tt.missing || ve.Unknown != tt.unknown {
				t.Errorf("Validate = %#v, want path %q missing %v unknown %v", err, tt.path, tt.missing, tt.unknown)
			}
		})
	}
	// A schema survives the trip through the document.
	b, _ := json.Marshal(s)
	var back httpapi.Schema
	if err := json.Unmarshal(b, &back); err != nil || !back.Closed || len(back.Required) != 4 {
		t.Errorf("round trip: closed %v, required %v, %v", back.Closed, back.Required, err)
	}
	if _, err := httpapi.DecodeJSON([]byte(`{} {}`)); err == nil {
		t.Error("two values decode as one")
	}
}

func TestRegistryRefusesMalformedRoutes(t *testing.T) {
	ok := httpapi.Route{Method: "GET", Path: "/v1/things", OperationID: "ListThings", Summary: "List",
		Response: httpapi.String(""), Handler: func(*httpapi.Request) (any, error) { return nil, nil }}
	for name, mutate := range map[string]func(*httpapi.Route){
		"method":      func(r *httpapi.Route) { r.Method = "PATCH" },
		"path":        func(r *httpapi.Route) { r.Path = "/things" },
		"no handler":  func(r *httpapi.Route) { r.Handler = nil },
		"get body":    func(r *httpapi.Route) { r.Body = httpapi.String("") },
		"no response": func(r *httpapi.Route) { r.Response = nil },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("registered")
				}
			}()
			r := ok
			mutate(&r)
			httpapi.NewRegistry().Add(r)
		})
	}
	t.Run("twice", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("registered twice")
			}
		}()
		reg := httpapi.NewRegistry()
		reg.Add(ok)
		reg.Add(ok)
	})
	t.Run("undocumented code", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("registered a code without a description")
			}
		}()
		httpapi.NewRegistry().Codes(httpapi.ErrorCode{Code: "x", Status: 400, Type: httpapi.TypeInvalidRequest})
	})
}
