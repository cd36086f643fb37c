package graph

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

func withOperation(ctx context.Context, typ ast.Operation) context.Context {
	return graphql.WithOperationContext(ctx, &graphql.OperationContext{Operation: &ast.OperationDefinition{Operation: typ}})
}

// At most the limit of queries execute at once and the others wait, then
// run; mutations (uploads among them) pass while every turn is taken; a
// query whose client leaves while it waits never executes.
func TestQueryAdmission(t *testing.T) {
	a := newQueryAdmission(2)
	release := make(chan struct{})
	var running, most, ran atomic.Int64
	next := func(ctx context.Context) *graphql.Response {
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		ran.Add(1)
		if graphql.GetOperationContext(ctx).Operation.Operation == ast.Query {
			<-release
		}
		return &graphql.Response{}
	}
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() { a.InterceptResponse(withOperation(context.Background(), ast.Query), next) })
	}
	deadline := time.Now().Add(5 * time.Second)
	for running.Load() != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d queries running, want 2", running.Load())
		}
		time.Sleep(time.Millisecond)
	}

	a.InterceptResponse(withOperation(context.Background(), ast.Mutation), next) // returns: not queued

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if resp := a.InterceptResponse(withOperation(ctx, ast.Query), next); resp == nil || len(resp.Errors) == 0 {
		t.Errorf("a query whose client left: %+v, want an error", resp)
	}

	close(release)
	wg.Wait()
	if most.Load() != 3 { // two queries and the mutation
		t.Errorf("%d operations executed at once, want 3", most.Load())
	}
	if ran.Load() != 6 {
		t.Errorf("%d operations executed, want the 5 queries and the mutation", ran.Load())
	}
}
