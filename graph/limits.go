package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Bounds on one query document: far above what an app sends, far below
// what makes validation or the query cache expensive.
const (
	maxQueryBytes  = 64 << 10
	maxQueryTokens = 5000
)

// queryLengthLimit refuses over-long query strings before they are parsed.
type queryLengthLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = queryLengthLimit{}

func (queryLengthLimit) ExtensionName() string                          { return "QueryLengthLimit" }
func (queryLengthLimit) Validate(schema graphql.ExecutableSchema) error { return nil }

func (l queryLengthLimit) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if len(p.Query) > l.max {
		return &gqlerror.Error{Message: "The query is longer than 64 KiB.", Extensions: map[string]any{"code": "BAD_REQUEST"}}
	}
	return nil
}

// listComplexity makes the complexity limit see lists: a page costs its
// children once per image asked for, a srcSet once per width.
func listComplexity() ComplexityRoot {
	var c ComplexityRoot
	page := func(child int, first *int) int {
		n := 20
		if first != nil && *first > 0 {
			n = *first
		}
		return 1 + child*n
	}
	c.Query.Images = func(child int, first *int, _ *string, _ *string) int { return page(child, first) }
	c.User.Images = func(child int, first *int, _ *string, _ *string) int { return page(child, first) }
	c.Image.SrcSet = func(child int, widths []int, _ *TransformInput) int { return 1 + len(widths) }
	return c
}
