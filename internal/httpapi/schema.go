package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
)

// Schema is the subset of JSON Schema (2020-12, as OpenAPI 3.1 uses it)
// that the API's documents need: objects with named properties, arrays,
// strings, integers, booleans, enums, nullable values and references to
// named schemas. It is both what the document publishes and what request
// bodies and (in tests) responses are checked against, so the document
// cannot drift from what is enforced.
type Schema struct {
	Ref         string             `json:"$ref,omitempty"`
	Type        any                `json:"type,omitempty"` // "string", or ["string","null"]
	Description string             `json:"description,omitempty"`
	Format      string             `json:"format,omitempty"`
	Enum        []any              `json:"enum,omitempty"`
	Const       any                `json:"const,omitempty"`
	Pattern     string             `json:"pattern,omitempty"`
	MinLength   *int               `json:"minLength,omitempty"`
	MaxLength   *int               `json:"maxLength,omitempty"`
	Minimum     *float64           `json:"minimum,omitempty"`
	Maximum     *float64           `json:"maximum,omitempty"`
	Properties  map[string]*Schema `json:"properties,omitempty"`
	Required    []string           `json:"required,omitempty"`
	Items       *Schema            `json:"items,omitempty"`
	// Closed forbids properties not listed (additionalProperties: false).
	Closed  bool `json:"-"`
	Example any  `json:"example,omitempty"`
}

// MarshalJSON adds additionalProperties for closed objects.
func (s *Schema) MarshalJSON() ([]byte, error) {
	type plain Schema
	b, err := json.Marshal((*plain)(s))
	if err != nil || !s.Closed {
		return b, err
	}
	return append(b[:len(b)-1], []byte(`,"additionalProperties":false}`)...), nil
}

// UnmarshalJSON reads a schema back from a document (tests check
// responses against the served one).
func (s *Schema) UnmarshalJSON(b []byte) error {
	type plain Schema
	aux := struct {
		*plain
		AdditionalProperties *bool `json:"additionalProperties"`
	}{plain: (*plain)(s)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	s.Closed = aux.AdditionalProperties != nil && !*aux.AdditionalProperties
	return nil
}

// Schema constructors, for readable route definitions.

// Ref refers to the named component schema.
func Ref(name string) *Schema { return &Schema{Ref: "#/components/schemas/" + name} }

// String is a string schema.
func String(doc string) *Schema { return &Schema{Type: "string", Description: doc} }

// Integer is an integer schema.
func Integer(doc string) *Schema { return &Schema{Type: "integer", Description: doc} }

// Boolean is a boolean schema.
func Boolean(doc string) *Schema { return &Schema{Type: "boolean", Description: doc} }

// Enum is a string that is one of values.
func Enum(doc string, values ...string) *Schema {
	s := &Schema{Type: "string", Description: doc}
	for _, v := range values {
		s.Enum = append(s.Enum, v)
	}
	return s
}

// Const is a string that is always value (an object's "object" field).
func Const(value string) *Schema {
	return &Schema{Type: "string", Const: value, Description: "String representing the object's type: always `" + value + "`."}
}

// Array is an array of items.
func Array(doc string, items *Schema) *Schema {
	return &Schema{Type: "array", Description: doc, Items: items}
}

// Object is a closed object whose properties are all required unless
// listed in optional.
func Object(doc string, props map[string]*Schema, optional ...string) *Schema {
	s := &Schema{Type: "object", Description: doc, Properties: props, Closed: true}
	for _, k := range slices.Sorted(maps.Keys(props)) {
		if !slices.Contains(optional, k) {
			s.Required = append(s.Required, k)
		}
	}
	return s
}

// Nullable lets s also be null.
func Nullable(s *Schema) *Schema {
	c := *s
	if t, ok := c.Type.(string); ok {
		c.Type = []any{t, "null"}
	}
	return &c
}

// Between bounds an integer (or a string's length).
func (s *Schema) Between(min, max float64) *Schema {
	s.Minimum, s.Maximum = &min, &max
	return s
}

// Len bounds a string's length.
func (s *Schema) Len(min, max int) *Schema {
	s.MinLength, s.MaxLength = &min, &max
	return s
}

// ValidationError says where a value broke its schema.
type ValidationError struct {
	// Path is the parameter, dotted ("metadata.order"), "" for the root.
	Path    string
	Missing bool
	Unknown bool
	Reason  string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("httpapi: %s: %s", e.Path, e.Reason)
}

// Validate checks a decoded JSON value (decoded with UseNumber) against s,
// resolving references in defs. It returns the first problem found, in a
// stable order.
func Validate(s *Schema, defs map[string]*Schema, v any) error {
	return validate(s, defs, v, "")
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func typeNames(t any) []string {
	switch t := t.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case float64:
		if v == math.Trunc(v) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

func validate(s *Schema, defs map[string]*Schema, v any, path string) error {
	bad := func(format string, args ...any) error {
		return &ValidationError{Path: path, Reason: fmt.Sprintf(format, args...)}
	}
	if s.Ref != "" {
		name := strings.TrimPrefix(s.Ref, "#/components/schemas/")
		d, ok := defs[name]
		if !ok {
			return bad("schema %s not defined", s.Ref)
		}
		return validate(d, defs, v, path)
	}
	got := jsonType(v)
	if names := typeNames(s.Type); len(names) > 0 {
		ok := slices.Contains(names, got) || got == "integer" && slices.Contains(names, "number")
		if !ok {
			return bad("must be %s, not %s", strings.Join(names, " or "), got)
		}
	}
	if got == "null" {
		return nil
	}
	if s.Const != nil && !equalJSON(s.Const, v) {
		return bad("must be %v", s.Const)
	}
	if len(s.Enum) > 0 && !slices.ContainsFunc(s.Enum, func(e any) bool { return equalJSON(e, v) }) {
		return bad("must be one of %v", s.Enum)
	}
	switch x := v.(type) {
	case string:
		n := len([]rune(x))
		if s.MinLength != nil && n < *s.MinLength {
			return bad("must be at least %d characters", *s.MinLength)
		}
		if s.MaxLength != nil && n > *s.MaxLength {
			return bad("must be at most %d characters", *s.MaxLength)
		}
		if s.Pattern != "" && !regexp.MustCompile(s.Pattern).MatchString(x) {
			return bad("must match %s", s.Pattern)
		}
	case json.Number, float64:
		f := toFloat(x)
		if s.Minimum != nil && f < *s.Minimum {
			return bad("must be at least %v", *s.Minimum)
		}
		if s.Maximum != nil && f > *s.Maximum {
			return bad("must be at most %v", *s.Maximum)
		}
	case []any:
		if s.Items != nil {
			for i, item := range x {
				if err := validate(s.Items, defs, item, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		}
	case map[string]any:
		for _, k := range s.Required {
			if _, ok := x[k]; !ok {
				return &ValidationError{Path: join(path, k), Missing: true, Reason: "is required"}
			}
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			p, ok := s.Properties[k]
			if !ok {
				if s.Closed {
					return &ValidationError{Path: join(path, k), Unknown: true, Reason: "is not a parameter of this object"}
				}
				continue
			}
			if err := validate(p, defs, x[k], join(path, k)); err != nil {
				return err
			}
		}
	}
	return nil
}

func toFloat(v any) float64 {
	switch v := v.(type) {
	case json.Number:
		f, _ := v.Float64()
		return f
	case float64:
		return v
	}
	return 0
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// DecodeJSON decodes b as the validator expects (numbers as json.Number).
func DecodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("httpapi: trailing data after the JSON value")
	}
	return v, nil
}
