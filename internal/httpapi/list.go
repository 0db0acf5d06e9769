package httpapi

import (
	"net/http"
	"strconv"
)

// Pagination limits.
const (
	DefaultLimit = 10
	MaxLimit     = 100
)

// ListParams are a list route's cursor parameters: at most Limit objects
// after StartingAfter (an object id; the next page) or before EndingBefore
// (the previous page), never both.
type ListParams struct {
	Limit         int
	StartingAfter string
	EndingBefore  string
}

// ParseList reads limit, starting_after and ending_before from the query.
// Errors: parameter_invalid.
func ParseList(r *http.Request) (ListParams, error) {
	q := r.URL.Query()
	p := ListParams{Limit: DefaultLimit, StartingAfter: q.Get("starting_after"), EndingBefore: q.Get("ending_before")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return ListParams{}, Errorf(CodeParameterInvalid, "limit", "limit must be an integer from 1 to %d", MaxLimit)
		}
		p.Limit = n
	}
	if p.StartingAfter != "" && p.EndingBefore != "" {
		return ListParams{}, Errorf(CodeParameterInvalid, "ending_before", "give starting_after or ending_before, not both")
	}
	return p, nil
}

// List is a page of objects: {"object":"list","data":[…],"has_more":…,"url":…}.
// HasMore says whether more objects lie beyond the page in the direction
// asked (after it for starting_after or a first page, before it for
// ending_before).
type List[T any] struct {
	Object  string `json:"object"`
	Data    []T    `json:"data"`
	HasMore bool   `json:"has_more"`
	URL     string `json:"url"`
}

// NewList returns a list object of data at url.
func NewList[T any](url string, data []T, hasMore bool) List[T] {
	if data == nil {
		data = []T{}
	}
	return List[T]{Object: "list", Data: data, HasMore: hasMore, URL: url}
}

// ListSchema is the schema of a list of item.
func ListSchema(doc string, item *Schema) *Schema {
	return Object(doc, map[string]*Schema{
		"object":   Const("list"),
		"data":     Array("The page of objects, newest first.", item),
		"has_more": Boolean("Whether more objects lie beyond this page in the direction asked."),
		"url":      String("The URL of this list."),
	})
}

// ListQuery are the documented query parameters of a list route.
func ListQuery(idDoc string) []Param {
	return []Param{
		{Name: "limit", In: "query", Doc: "How many objects to return, 1 to 100 (default 10).", Schema: Integer("").Between(1, MaxLimit)},
		{Name: "starting_after", In: "query", Doc: "A cursor: the id of the last object of the previous page (" + idDoc + "); returns the objects after it.", Schema: String("")},
		{Name: "ending_before", In: "query", Doc: "A cursor: the id of the first object of the current page; returns the objects before it (the previous page).", Schema: String("")},
	}
}
