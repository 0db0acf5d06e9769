package apitest_test

import (
	"testing"

	"github.com/okpay/okpay/internal/httpapi/apitest"
)

const doc = `{"paths":{
 "/v1/things":{"post":{"responses":{"200":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Thing"}}}}}}},
 "/v1/things/{id}":{"get":{"responses":{"200":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Thing"}}}}}}},
 "/v1/things/{id}/open":{"post":{"responses":{"200":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Thing"}}}}}}},
 "/v1/things/all":{"get":{"responses":{"200":{"content":{"application/json":{"schema":{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"],"additionalProperties":false}}}}}}}},
"components":{"schemas":{
 "Thing":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"],"additionalProperties":false},
 "Error":{"type":"object","properties":{"error":{"type":"object"}},"required":["error"]}}}}`

func TestCheck(t *testing.T) {
	d, err := apitest.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, path string
		status       int
		body         string
		ok           bool
	}{
		{"GET", "/v1/things/th_1", 200, `{"id":"th_1"}`, true},
		{"GET", "/v1/things/th_1?x=1", 200, `{"id":"th_1","extra":1}`, false},
		{"GET", "/v1/things/all", 200, `{"n":3}`, true}, // the literal path wins over {id}
		{"POST", "/v1/things/th_1/open", 200, `{"id":"th_1"}`, true},
		{"POST", "/v1/things/th_1/close", 200, `{"id":"th_1"}`, false},
		{"DELETE", "/v1/things/th_1", 200, `{"id":"th_1"}`, false},
		{"GET", "/v1/things/th_1", 201, `{"id":"th_1"}`, false},
		{"GET", "/v1/anything", 404, `{"error":{}}`, true},
		{"GET", "/v1/anything", 404, `{"message":"x"}`, false},
	} {
		err := d.Check(c.method, c.path, c.status, []byte(c.body))
		if (err == nil) != c.ok {
			t.Errorf("%s %s %d %s: %v, want ok=%v", c.method, c.path, c.status, c.body, err, c.ok)
		}
	}
}
