package transport

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// Every malformed request is a 400 with code BAD_REQUEST and a message
// naming the problem; none may panic (a panic would be a 500).
func TestMultipartMalformed(t *testing.T) {
	file := filePart("0", "a.txt", []byte("data"))
	m0 := field("map", `{"0":["variables.file"]}`)
	ops := field("operations", singleOps)
	opsVars := func(vars string) mpart {
		return field("operations", `{"query":"mutation($file: Upload!){ upload(file: $file) }"`+vars+`}`)
	}
	listOpsPart := field("operations", listOps)
	batchOps := field("operations", `[`+singleOps+`,`+singleOps+`]`)
	cases := []struct {
		name  string
		parts []mpart
		raw   string // raw body instead of parts (boundary testBoundary)
		ct    string // Content-Type override
		want  string
	}{
		{name: "empty multipart", parts: nil, want: "missing multipart field 'operations'"},
		{name: "map first", parts: []mpart{m0, ops, file}, want: "'map' came first"},
		{name: "other field first", parts: []mpart{file, ops, m0}, want: "missing multipart field 'operations'"},
		{name: "operations not JSON", parts: []mpart{field("operations", `{"query":`), m0, file}, want: "invalid JSON in 'operations'"},
		{name: "operations trailing data", parts: []mpart{field("operations", singleOps+`}`), m0, file}, want: "invalid JSON in 'operations'"},
		{name: "operations a string", parts: []mpart{field("operations", `"mutation"`), m0, file}, want: "invalid 'operations'"},
		{name: "operations empty", parts: []mpart{field("operations", ``), m0, file}, want: "empty 'operations'"},
		{name: "operations variables wrong type", parts: []mpart{field("operations", `{"query":"x","variables":[]}`), m0, file}, want: "field 'variables' has the wrong type"},
		{name: "operations empty batch", parts: []mpart{field("operations", `[]`), m0, file}, want: "empty batch in 'operations'"},
		{name: "operations batch entry not object", parts: []mpart{field("operations", `[1]`), m0, file}, want: "batch entry 0 is not a JSON object"},
		{name: "missing map", parts: []mpart{ops}, want: "missing multipart field 'map'"},
		{name: "file part before map", parts: []mpart{ops, file, m0}, want: `file part "0" before 'map'`},
		{name: "operations twice", parts: []mpart{ops, ops, m0, file}, want: "duplicate multipart field 'operations'"},
		{name: "map not JSON", parts: []mpart{ops, field("map", `{"0":`), file}, want: "invalid JSON in 'map'"},
		{name: "map an array", parts: []mpart{ops, field("map", `[["variables.file"]]`), file}, want: "invalid 'map'"},
		{name: "map value a string", parts: []mpart{ops, field("map", `{"0":"variables.file"}`), file}, want: `value for key "0" must be a non-empty array`},
		{name: "map value empty array", parts: []mpart{ops, field("map", `{"0":[]}`), file}, want: `value for key "0" must be a non-empty array`},
		{name: "map value not strings", parts: []mpart{ops, field("map", `{"0":[1]}`), file}, want: `value for key "0" must be a non-empty array`},
		{name: "map empty key", parts: []mpart{ops, field("map", `{"":["variables.file"]}`), file}, want: "empty file key"},
		{name: "path without variables", parts: []mpart{ops, field("map", `{"0":["file"]}`), file}, want: `map path "file" must start with 'variables.'`},
		{name: "path only variables", parts: []mpart{ops, field("map", `{"0":["variables"]}`), file}, want: `map path "variables" must start with 'variables.' and name a variable`},
		{name: "path to nothing", parts: []mpart{ops, field("map", `{"0":["variables.nope"]}`), file}, want: `map path "variables.nope" leads to nothing`},
		{name: "path index out of range", parts: []mpart{listOpsPart, field("map", `{"0":["variables.files.2"]}`), file}, want: `map path "variables.files.2" leads to nothing: index "2" is invalid or out of range`},
		{name: "path huge index", parts: []mpart{listOpsPart, field("map", `{"0":["variables.files.99999999999999999999"]}`), file}, want: "out of range"},
		{name: "path negative index", parts: []mpart{listOpsPart, field("map", `{"0":["variables.files.-1"]}`), file}, want: `index "-1" is invalid`},
		{name: "path non-numeric index", parts: []mpart{listOpsPart, field("map", `{"0":["variables.files.x"]}`), file}, want: `index "x" is invalid`},
		{name: "path through list end", parts: []mpart{listOpsPart, field("map", `{"0":["variables.files"]}`), file}, want: `map path "variables.files" must point to null`},
		{name: "variables missing", parts: []mpart{opsVars(``), m0, file}, want: `map path "variables.file": 'variables' is missing or null`},
		{name: "variables null", parts: []mpart{opsVars(`,"variables":null`), m0, file}, want: `'variables' is missing or null`},
		{name: "path into non-null value", parts: []mpart{opsVars(`,"variables":{"file":"x"}`), m0, file}, want: `map path "variables.file" must point to null`},
		{name: "path through a scalar", parts: []mpart{opsVars(`,"variables":{"file":"x"}`), field("map", `{"0":["variables.file.y"]}`), file}, want: `"y" is not inside an object or array`},
		{name: "path through null", parts: []mpart{ops, field("map", `{"0":["variables.file.y"]}`), file}, want: `"y" is not inside an object or array`},
		{name: "path to String variable", parts: []mpart{field("operations", `{"query":"mutation($s: String, $file: Upload!){ upload(file: $file) }","variables":{"s":null,"file":null}}`), field("map", `{"0":["variables.s"]}`), file}, want: `map path "variables.s" points to variable $s of type String, not Upload`},
		{name: "path to [String!] variable", parts: []mpart{field("operations", `{"query":"mutation($s: [String!]){ upload(file: $s) }","variables":{"s":[null]}}`), field("map", `{"0":["variables.s.0"]}`), file}, want: `points to variable $s of type [String!], not Upload`},
		{name: "path to undeclared variable", parts: []mpart{opsVars(`,"variables":{"file":null,"zzz":null}`), field("map", `{"0":["variables.zzz"]}`), file}, want: `points to variable $zzz, which the operation does not declare`},
		{name: "path used twice", parts: []mpart{ops, field("map", `{"0":["variables.file"],"1":["variables.file"]}`), file, filePart("1", "b", nil)}, want: `map path "variables.file" is used more than once`},
		{name: "part not in map", parts: []mpart{ops, m0, filePart("7", "x", []byte("x"))}, want: `multipart field "7" is not a key of 'map'`},
		{name: "part without name", parts: []mpart{ops, m0, file, {name: "", body: []byte("x")}}, want: "multipart part without a form field name"},
		{name: "map twice", parts: []mpart{ops, m0, m0, file}, want: "duplicate multipart field 'map'"},
		{name: "same key twice", parts: []mpart{ops, m0, file, file}, want: `duplicate file for map key "0"`},
		{name: "missing file", parts: []mpart{listOpsPart, field("map", `{"1":["variables.files.0"],"2":["variables.files.1"]}`), filePart("2", "b", nil)}, want: `missing file for map key "1"`},
		{name: "batch path without index", parts: []mpart{batchOps, m0, file}, want: `map path "variables.file" must start with 'N.variables.'`},
		{name: "batch index out of range", parts: []mpart{batchOps, field("map", `{"0":["2.variables.file"]}`), file}, want: `operation index 2 is out of range (the batch has 2 operations)`},
		{name: "batch path without variables", parts: []mpart{batchOps, field("map", `{"0":["1.file"]}`), file}, want: `must start with 'N.variables.'`},
		{name: "batch variables null", parts: []mpart{field("operations", `[`+singleOps+`,{"query":"mutation($file: Upload!){ upload(file: $file) }","variables":null}]`), field("map", `{"0":["1.variables.file"]}`), file}, want: `'variables' is missing or null`},
		{name: "truncated body", raw: "--" + testBoundary + "\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n" + singleOps, want: "malformed multipart body"},
		{name: "garbage body", raw: "\x00\x01garbage", want: "malformed multipart body"},
		{name: "truncated file", raw: "--" + testBoundary + "\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n" + singleOps +
			"\r\n--" + testBoundary + "\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{\"0\":[\"variables.file\"]}" +
			"\r\n--" + testBoundary + "\r\nContent-Disposition: form-data; name=\"0\"; filename=\"a\"\r\n\r\nhalf a fi", want: "malformed multipart body"},
		{name: "missing boundary", raw: "x", ct: "multipart/form-data", want: "missing multipart boundary"},
	}
	dir := t.TempDir()
	srv := newServer(t, MultipartForm{SpoolDir: dir, MemoryFileBytes: 2}, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			ct := "multipart/form-data; boundary=" + testBoundary
			if tc.raw != "" {
				body = []byte(tc.raw)
			} else {
				body, ct = multipartBody(tc.parts...)
			}
			if tc.ct != "" {
				ct = tc.ct
			}
			r := do(t, srv, http.MethodPost, "/", ct, bytes.NewReader(body), nil)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.status, r.body)
			}
			g := r.gql(t)
			if g.code() != codeBadRequest || !strings.Contains(g.message(), tc.want) {
				t.Fatalf("got %q (%s), want message containing %q", g.message(), g.code(), tc.want)
			}
			if g.Errors[0].Extensions["presented"] != true {
				t.Errorf("error did not go through the error presenter: %s", r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != mediaJSON {
				t.Errorf("Content-Type %q", ct)
			}
			if left := dirEntries(t, dir); len(left) != 0 {
				t.Errorf("spool dir: %v", left)
			}
		})
	}
}

// Malformed requests are 400 under application/graphql-response+json too,
// with that Content-Type.
func TestMultipartMalformedGraphQLResponse(t *testing.T) {
	srv := newServer(t, MultipartForm{SpoolDir: t.TempDir()}, nil)
	r := postMultipart(t, srv, acceptHeader(apollo4), field("operations", singleOps), field("map", `{"0":["variables.nope"]}`))
	if r.status != http.StatusBadRequest || r.header.Get("Content-Type") != mediaGraphQLResponse {
		t.Fatalf("status %d, Content-Type %q: %s", r.status, r.header.Get("Content-Type"), r.body)
	}
}

// A query that does not parse skips the Upload type check; execution then
// reports the parse error (200 under application/json).
func TestMultipartUnparsableQuery(t *testing.T) {
	srv := newServer(t, MultipartForm{SpoolDir: t.TempDir()}, nil)
	r := postMultipart(t, srv, nil,
		field("operations", `{"query":"mutation($file: Upload!){ upload(file: $file) ","variables":{"file":null}}`),
		field("map", `{"0":["variables.file"]}`),
		filePart("0", "a", []byte("x")))
	if r.status != http.StatusOK || r.gql(t).code() != "GRAPHQL_PARSE_FAILED" {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
}

// A validation error found by gqlgen before execution: 200 under
// application/json, 400 under application/graphql-response+json; the
// temp file is gone either way.
func TestMultipartValidationError(t *testing.T) {
	dir := t.TempDir()
	srv := newServer(t, MultipartForm{SpoolDir: dir, MemoryFileBytes: 10}, nil)
	for accept, status := range map[string]int{"": http.StatusOK, "*/*": http.StatusOK, apollo4: http.StatusBadRequest} {
		var h http.Header
		if accept != "" {
			h = acceptHeader(accept)
		}
		r := postMultipart(t, srv, h,
			field("operations", `{"query":"mutation($file: Upload!){ upload(file: $file) nope }","variables":{"file":null}}`),
			field("map", `{"0":["variables.file"]}`),
			filePart("0", "a", bytesOf(1000, 1)))
		if r.status != status || r.gql(t).code() != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("accept %q: status %d: %s", accept, r.status, r.body)
		}
		if left := dirEntries(t, dir); len(left) != 0 {
			t.Errorf("spool dir: %v", left)
		}
	}
}
