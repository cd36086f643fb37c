package graph

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/mediagraph/mediagraph/internal/media"
)

// MarshalUpload is never used for output: Upload is an input-only scalar.
func MarshalUpload(u graphql.Upload) graphql.Marshaler { return graphql.MarshalUpload(u) }

// UnmarshalUpload accepts only what the multipart transport put in the
// variables: a file part. A string in its place (a URL, a path) is refused
// as the client's mistake, not an internal error.
func UnmarshalUpload(v any) (graphql.Upload, error) {
	if u, ok := v.(graphql.Upload); ok {
		return u, nil
	}
	return graphql.Upload{}, media.Errorf(media.CodeBadUserInput,
		"An Upload must be a file part of a GraphQL multipart request (see the multipart request spec), not a %s.", jsonKind(v))
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case nil:
		return "null"
	case map[string]any:
		return "JSON object"
	case []any:
		return "JSON array"
	case bool:
		return "boolean"
	default:
		return "number"
	}
}
