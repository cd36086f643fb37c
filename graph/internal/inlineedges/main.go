// Command inlineedges rewrites gqlgen's generated code so that a page's
// edges are marshalled by graph.marshalEdges instead of
// graphql.MarshalSliceConcurrently. gqlgen starts a goroutine for every
// element of a list of objects; for a page of 50 images, whose owner and
// avatar are loaded beside the page, those goroutines and the stack growth
// of each cost a quarter of the request's CPU. marshalEdges marshals them
// in the calling goroutine unless a field that may take long (a placeholder
// made on first request) is asked for.
//
// It runs after gqlgen in go generate, and fails unless it finds exactly
// the one call it expects, so that a gqlgen upgrade that changes the
// generated code is noticed rather than silently left unoptimised.
package main

import (
	"bytes"
	"fmt"
	"os"
)

const (
	old = "graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, func(ctx context.Context, i int) graphql.Marshaler {\n\t\tfc := graphql.GetFieldContext(ctx)\n\t\tfc.Result = &v[i]\n\t\treturn ec.marshalNImageEdge2"
	new = "marshalEdges(ctx, sel, len(v), func(ctx context.Context, i int) graphql.Marshaler {\n\t\tfc := graphql.GetFieldContext(ctx)\n\t\tfc.Result = &v[i]\n\t\treturn ec.marshalNImageEdge2"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: inlineedges GENERATED_GO_FILE")
		os.Exit(2)
	}
	path := os.Args[1]
	src, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if n := bytes.Count(src, []byte(old)); n != 1 {
		fmt.Fprintf(os.Stderr, "inlineedges: %s: found the edges' MarshalSliceConcurrently call %d times, want 1 (did gqlgen's output change?)\n", path, n)
		os.Exit(1)
	}
	if err := os.WriteFile(path, bytes.Replace(src, []byte(old), []byte(new), 1), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
