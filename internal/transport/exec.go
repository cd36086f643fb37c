package transport

import (
	"context"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// opCheck inspects an operation once its context is created; a non-nil
// error refuses to execute it.
type opCheck func(op *ast.OperationDefinition) *reqError

// result is the outcome of one operation.
type result struct {
	resp     *graphql.Response
	status   int
	executed bool
}

// run creates the operation context for params and executes it.
func (rp *responder) run(ctx context.Context, params *graphql.RawParams, check opCheck) result {
	rc, errs := rp.exec.CreateOperationContext(ctx, params)
	if len(errs) > 0 {
		resp := rp.exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs)
		return result{resp: resp, status: rp.preExecStatus()}
	}
	var op *ast.OperationDefinition
	if rc != nil {
		op = rc.Operation
		if op == nil && rc.Doc != nil {
			op = rc.Doc.Operations.ForName(rc.OperationName)
		}
	}
	if op == nil {
		e := requestError(codeBadRequest, "operation not found")
		return result{resp: rp.errorResponse(ctx, e), status: rp.preExecStatus()}
	}
	if check != nil {
		if e := check(op); e != nil {
			status := e.status
			if status == 0 {
				status = rp.preExecStatus()
			}
			if status == http.StatusMethodNotAllowed {
				rp.w.Header().Set("Allow", http.MethodPost)
			}
			return result{resp: rp.errorResponse(graphql.WithOperationContext(ctx, rc), e), status: status}
		}
	}
	responses, octx := rp.exec.DispatchOperation(ctx, rc)
	resp := responses(octx)
	if resp == nil {
		// The executor ends the stream early only when ctx is done.
		resp = rp.errorResponse(ctx, requestError(codeBadRequest, "request canceled"))
	}
	return result{resp: resp, status: http.StatusOK, executed: true}
}

// serve runs ops and writes the response: a single response, or for a batch
// a JSON array of responses in order. A batch answers 200 when at least one
// of its operations executed, otherwise the status of its first failure.
func (rp *responder) serve(ctx context.Context, ops []*graphql.RawParams, batch bool, check opCheck) {
	if !batch {
		res := rp.run(ctx, ops[0], check)
		rp.write(res.status, res.resp)
		return
	}
	out := make([]*graphql.Response, len(ops))
	status, executed := 0, false
	for i, p := range ops {
		res := rp.run(ctx, p, check)
		out[i] = res.resp
		if i == 0 {
			status = res.status
		}
		executed = executed || res.executed
	}
	if executed {
		status = http.StatusOK
	}
	rp.write(status, out)
}

// noSubscriptions refuses subscriptions, which need a streaming transport.
func noSubscriptions(op *ast.OperationDefinition) *reqError {
	if op.Operation == ast.Subscription {
		return badRequest("subscriptions need a streaming transport (SSE or WebSocket)")
	}
	return nil
}
