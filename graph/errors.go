package graph

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/mediagraph/mediagraph/internal/media"
)

// presentError is the one place that decides what a client sees of an error:
// a *media.Error shows its message and code; gqlgen's own request errors
// (parse, validation, bad variables) keep their message with a code; anything
// else becomes INTERNAL_SERVER_ERROR with a generic message, its detail logged.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		var merr *media.Error
		switch {
		case errors.As(err, &merr):
			gerr.Message = merr.Message
			setCode(gerr, string(merr.Code))
			for k, v := range merr.Extensions {
				gerr.Extensions[k] = v
			}
			if merr.Code == media.CodeStorageUnavailable || merr.Code == media.CodeInternal {
				log.ErrorContext(ctx, "request failed", "op", operationName(ctx), "code", merr.Code, "err", err)
			}
		case errors.Is(err, context.Canceled):
			gerr.Message = "The request was cancelled."
			setCode(gerr, string(media.CodeInternal))
		case gerr.Extensions["code"] != nil:
			// gqlgen's own classification (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, ...)
			// or the transport's (BAD_REQUEST, FILE_TOO_LARGE, ...): the message is for clients.
		default:
			log.ErrorContext(ctx, "internal error", "op", operationName(ctx), "err", err)
			gerr.Message = "Internal error."
			setCode(gerr, string(media.CodeInternal))
		}
		return gerr
	}
}

func setCode(e *gqlerror.Error, code string) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = code
}

func operationName(ctx context.Context) string {
	if !graphql.HasOperationContext(ctx) {
		return ""
	}
	return graphql.GetOperationContext(ctx).OperationName
}

// recoverPanic logs a resolver's panic with its stack; the client sees an
// internal error.
func recoverPanic(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "op", operationName(ctx), "panic", p, "stack", string(debug.Stack()))
		return &media.Error{Code: media.CodeInternal, Message: "Internal error."}
	}
}
