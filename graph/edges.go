package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// marshalEdges marshals the edges of a page (the generated code calls it;
// see internal/inlineedges). gqlgen would start a goroutine for each edge;
// their fields need no waiting here (url and srcSet are computed, owner and
// avatar were loaded beside the page), so they are marshalled one after the
// other in this goroutine, which saves the goroutines and their stack
// growth. A selection that asks for placeholders, which the first request
// may have to make from the image (tens of milliseconds each), keeps
// gqlgen's concurrency.
func marshalEdges(ctx context.Context, sel ast.SelectionSet, n int, marshal func(context.Context, int) graphql.Marshaler) graphql.Array {
	if n <= 1 || asksForPlaceholder(ctx, sel) {
		return graphql.MarshalSliceConcurrently(ctx, n, 0, false, marshal)
	}
	ret := make(graphql.Array, n)
	for i := range n {
		fc := &graphql.FieldContext{Index: &i}
		ctx := graphql.WithFieldContext(ctx, fc)
		func() {
			defer func() {
				if r := recover(); r != nil {
					graphql.AddError(ctx, graphql.Recover(ctx, r))
					ret[i] = graphql.Null
				}
			}()
			ret[i] = marshal(ctx, i)
		}()
	}
	return ret
}

// asksForPlaceholder reports whether the edges' selection asks for a
// placeholder anywhere below them (an image's, its owner's avatar's, ...),
// fragments, aliases, skip and include taken into account.
func asksForPlaceholder(ctx context.Context, sel ast.SelectionSet) bool {
	op := graphql.GetOperationContext(ctx)
	var below func(ast.SelectionSet, int) bool
	below = func(sel ast.SelectionSet, depth int) bool {
		if depth > maxSelectionDepth {
			return true // deeper than any query the complexity limit lets through: be safe
		}
		for _, f := range graphql.CollectFields(op, sel, objectTypes) {
			if f.Name == "placeholder" || below(f.Selections, depth+1) {
				return true
			}
		}
		return false
	}
	return below(sel, 0)
}

// objectTypes are the schema's object types, which fragments below an edge
// may be conditioned on.
var objectTypes = func() []string {
	var names []string
	for name, def := range parsedSchema.Types {
		if def.Kind == ast.Object {
			names = append(names, name)
		}
	}
	return names
}()

// maxSelectionDepth bounds the walk of asksForPlaceholder.
const maxSelectionDepth = 32
