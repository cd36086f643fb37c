package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/mediagraph/mediagraph/internal/media"
)

func TestPresentError_HidesInternalDetail(t *testing.T) {
	var logs bytes.Buffer
	present := presentError(slog.New(slog.NewTextHandler(&logs, nil)))
	secret := "dial tcp 10.0.0.7:5432: password authentication failed for user app"
	got := present(context.Background(), fmt.Errorf("load images: %w", errors.New(secret)))
	if got.Message != "Internal error." || got.Extensions["code"] != "INTERNAL_SERVER_ERROR" {
		t.Fatalf("presented %+v", got)
	}
	if !strings.Contains(logs.String(), "password authentication failed") {
		t.Error("the detail was not logged")
	}
}

func TestPresentError_ShowsDomainErrorsWithTheirCode(t *testing.T) {
	present := presentError(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	err := fmt.Errorf("delete image: %w", media.Errorf(media.CodeForbidden, "That image belongs to someone else."))
	got := present(context.Background(), err)
	if got.Message != "That image belongs to someone else." || got.Extensions["code"] != "FORBIDDEN" {
		t.Fatalf("presented %+v", got)
	}
	// Errors that already carry a code (gqlgen's, the transport's) keep it.
	got = present(context.Background(), &gqlerror.Error{Message: "bad map", Extensions: map[string]any{"code": "BAD_REQUEST"}})
	if got.Message != "bad map" || got.Extensions["code"] != "BAD_REQUEST" {
		t.Fatalf("presented %+v", got)
	}
}

func TestRecoverPanic_AnswersInternalError(t *testing.T) {
	var logs bytes.Buffer
	err := recoverPanic(slog.New(slog.NewTextHandler(&logs, nil)))(context.Background(), "boom")
	if media.ErrorCode(err) != media.CodeInternal || !strings.Contains(logs.String(), "boom") {
		t.Fatalf("err %v, logs %s", err, logs.String())
	}
}
