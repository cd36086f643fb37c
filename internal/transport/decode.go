package transport

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/99designs/gqlgen/graphql"
)

// decodeJSON decodes exactly one JSON value from b into v, keeping numbers
// as json.Number. Trailing data is an error.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// describeJSONError explains err without quoting the input.
func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "syntax error"
	case errors.As(err, &typ):
		if typ.Field != "" {
			return "field '" + sanitize(typ.Field) + "' has the wrong type"
		}
		return "wrong JSON type"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of JSON"
	case strings.HasPrefix(err.Error(), "trailing data"):
		return err.Error()
	}
	return "not valid JSON"
}

// decodeOperations decodes a GraphQL request: one JSON object, or a JSON
// array of objects (a batch). what names the input in error messages.
// maxBatch bounds the operations of one batched request: each is a whole
// query, and their responses are all held until the answer is written.
const maxBatch = 10

func decodeOperations(b []byte, what string) ([]*graphql.RawParams, bool, *reqError) {
	switch firstByte(b) {
	case '{':
		p := &graphql.RawParams{}
		if err := decodeJSON(b, p); err != nil {
			return nil, false, badRequest("invalid JSON in %s: %s", what, describeJSONError(err))
		}
		return []*graphql.RawParams{p}, false, nil
	case '[':
		var raws []json.RawMessage
		if err := decodeJSON(b, &raws); err != nil {
			return nil, true, badRequest("invalid JSON in %s: %s", what, describeJSONError(err))
		}
		if len(raws) == 0 {
			return nil, true, badRequest("empty batch in %s", what)
		}
		if len(raws) > maxBatch {
			return nil, true, badRequest("a batch in %s may hold at most %d operations, not %d", what, maxBatch, len(raws))
		}
		ops := make([]*graphql.RawParams, len(raws))
		for i, raw := range raws {
			if firstByte(raw) != '{' {
				return nil, true, badRequest("invalid %s: batch entry %d is not a JSON object", what, i)
			}
			p := &graphql.RawParams{}
			if err := decodeJSON(raw, p); err != nil {
				return nil, true, badRequest("invalid JSON in %s: batch entry %d: %s", what, i, describeJSONError(err))
			}
			ops[i] = p
		}
		return ops, true, nil
	case 0:
		return nil, false, badRequest("empty %s", what)
	}
	return nil, false, badRequest("invalid %s: expected a JSON object or array", what)
}

// firstByte returns the first non-whitespace byte of b, or 0.
func firstByte(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

// sanitize makes a client-supplied name safe and short for an error message.
func sanitize(s string) string {
	const max = 64
	var sb strings.Builder
	for i, r := range s {
		if i >= max {
			sb.WriteString("...")
			break
		}
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			r = '?'
		}
		sb.WriteRune(r)
	}
	return sb.String()
}
