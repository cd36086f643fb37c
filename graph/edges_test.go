package graph

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// edgesSelection parses query against the schema and returns the
// operation context and the selection of its first `edges` field.
func edgesSelection(t *testing.T, query string) (context.Context, ast.SelectionSet) {
	t.Helper()
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	doc, errs := gqlparser.LoadQuery(schema, query)
	if errs != nil {
		t.Fatalf("%s: %v", query, errs)
	}
	var find func(ast.SelectionSet) ast.SelectionSet
	find = func(set ast.SelectionSet) ast.SelectionSet {
		for _, s := range set {
			if f, ok := s.(*ast.Field); ok {
				if f.Name == "edges" {
					return f.SelectionSet
				}
				if got := find(f.SelectionSet); got != nil {
					return got
				}
			}
		}
		return nil
	}
	sel := find(doc.Operations[0].SelectionSet)
	if sel == nil {
		t.Fatalf("%s: no edges", query)
	}
	op := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: map[string]any{}}
	return graphql.WithOperationContext(context.Background(), op), sel
}

// Edges are marshalled in one goroutine unless a placeholder is asked for
// anywhere below them, however the query spells it: fragments, aliases,
// skip and include.
func TestAsksForPlaceholder(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  bool
	}{
		{`{ images(first: 50) { edges { node { id url owner { avatar { url } } } } } }`, false},
		{`{ images(first: 50) { edges { cursor } } }`, false},
		{`{ images(first: 50) { edges { node { id placeholder } } } }`, true},
		{`{ images(first: 50) { edges { node { lqip: placeholder } } } }`, true},
		{`{ images(first: 50) { edges { node { ...F } } } } fragment F on Image { id placeholder }`, true},
		{`{ images(first: 50) { edges { ... on ImageEdge { node { ... on Image { placeholder } } } } } }`, true},
		{`{ images(first: 50) { edges { node { placeholder @skip(if: true) } } } }`, false},
		{`{ images(first: 50) { edges { node { placeholder @include(if: false) id } } } }`, false},
		{`{ me { images(first: 5) { edges { node { placeholder } } } } }`, true},
		{`{ images(first: 50) { edges { node { owner { avatar { placeholder } } } } } }`, true},
		{`{ images(first: 50) { edges { node { owner { images(first: 2) { edges { node { placeholder } } } } } } } }`, true},
		{`{ images(first: 50) { edges { node { owner { ...U } } } } } fragment U on User { avatar { placeholder } }`, true},
		{`{ images(first: 50) { edges { node { owner { avatar { url placeholder @skip(if: true) } } } } } }`, false},
	} {
		ctx, sel := edgesSelection(t, tc.query)
		if got := asksForPlaceholder(ctx, sel); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
		}
	}
}
