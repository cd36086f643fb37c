package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/mediagraph/mediagraph/internal/observe"
)

// OperationObserver records finished GraphQL operations (metrics).
type OperationObserver interface {
	ObserveOperation(name, typ string, d time.Duration, codes []string)
	// ObserveRefusal counts an error answered before any operation ran.
	ObserveRefusal(code string)
}

// operationMetrics is a gqlgen extension that reports every operation's name,
// type, latency and error codes, and names the operation in the request log.
type operationMetrics struct{ obs OperationObserver }

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = operationMetrics{}

func (operationMetrics) ExtensionName() string                          { return "OperationMetrics" }
func (operationMetrics) Validate(schema graphql.ExecutableSchema) error { return nil }

func (m operationMetrics) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if !graphql.HasOperationContext(ctx) {
		// A transport refused the request before it was parsed (a bad
		// multipart body, FILE_TOO_LARGE, TOO_MANY_FILES).
		if m.obs != nil && resp != nil {
			for _, c := range errorCodes(resp) {
				m.obs.ObserveRefusal(c)
			}
		}
		return resp
	}
	oc := graphql.GetOperationContext(ctx)
	name := oc.OperationName
	if name == "" && oc.Operation != nil {
		name = oc.Operation.Name
	}
	observe.SetOperation(ctx, name)
	if m.obs == nil || resp == nil {
		return resp
	}
	codes := errorCodes(resp)
	typ := ""
	if oc.Operation != nil {
		typ = string(oc.Operation.Operation)
	}
	m.obs.ObserveOperation(name, typ, time.Since(oc.Stats.OperationStart), codes)
	return resp
}

func errorCodes(resp *graphql.Response) []string {
	var codes []string
	for _, e := range resp.Errors {
		if c, ok := e.Extensions["code"].(string); ok {
			codes = append(codes, c)
		}
	}
	return codes
}
