package transport

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// appendResponse writes what json.Marshal writes, except that data is copied
// byte for byte (json.Marshal would also escape <, > and & in it, which JSON
// does not need).
func TestAppendResponse_MatchesJSONMarshal(t *testing.T) {
	yes := true
	cases := map[string]*graphql.Response{
		"data only": {Data: json.RawMessage(`{"images":{"edges":[{"node":{"id":"a","url":"http://x/a?b=1&c=<2>"}}]}}`)},
		"null data": {Errors: gqlerror.List{{Message: "bad <input>", Extensions: map[string]any{"code": "BAD_USER_INPUT"}}}},
		"errors with data": {
			Data:   json.RawMessage(`{"me":null}`),
			Errors: gqlerror.List{{Message: "no", Path: ast.Path{ast.PathName("me"), ast.PathIndex(2)}, Extensions: map[string]any{"code": "FORBIDDEN"}}},
		},
		"incremental": {Data: json.RawMessage(`{"a":1}`), Label: "l", Path: ast.Path{ast.PathName("x")}, HasNext: &yes,
			Extensions: map[string]any{"complexity": 3, "z": []int{1}}},
	}
	for name, r := range cases {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendResponse([]byte("prefix"), r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(got, []byte("prefix")) {
			t.Fatalf("%s: %s does not extend its buffer", name, got)
		}
		got = got[len("prefix"):]
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%s: %s: %v", name, got, err)
		}
		_ = json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
		if r.Data != nil && !bytes.Contains(got, []byte(`"data":`+string(r.Data))) {
			t.Errorf("%s: data not copied as it is: %s", name, got)
		}
		if len(r.Errors) > 0 && !bytes.HasPrefix(got, []byte(`{"errors":`)) {
			t.Errorf("%s: errors do not come first: %s", name, got)
		}
	}
}

// An empty data is written as null rather than failing the response.
func TestAppendResponse_EmptyDataIsNull(t *testing.T) {
	got, err := appendResponse(nil, &graphql.Response{Data: json.RawMessage{}})
	if err != nil || string(got) != `{"data":null}` {
		t.Errorf("got %s, %v", got, err)
	}
}
