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

// asksForPlaceholder reports whether the edges' selection asks for
// node.placeholder, fragments included.
func asksForPlaceholder(ctx context.Context, sel ast.SelectionSet) bool {
	op := graphql.GetOperationContext(ctx)
	for _, edge := range graphql.CollectFields(op, sel, []string{"ImageEdge"}) {
		if edge.Name != "node" {
			continue
		}
		for _, f := range graphql.CollectFields(op, edge.Selections, []string{"Image"}) {
			if f.Name == "placeholder" {
				return true
			}
		}
	}
	return false
}
