package graph

import (
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/mediagraph/mediagraph/internal/media"
	"github.com/mediagraph/mediagraph/internal/transport"
)

// HandlerConfig sizes the GraphQL endpoint.
type HandlerConfig struct {
	// MaxFieldBytes bounds a JSON body and the multipart `operations` and `map` fields.
	MaxFieldBytes int64
	// MemoryFileBytes is the largest upload kept in memory; larger ones spill to SpoolDir.
	MemoryFileBytes int64
	// MemoryBudgetBytes bounds the upload bytes held in memory by all
	// requests together; 0 means no bound but MemoryFileBytes per file.
	MemoryBudgetBytes int64
	// SpoolDir holds uploads in flight.
	SpoolDir string
	// Complexity is the largest query complexity accepted.
	Complexity int
	// OnUploadBytes, when set, is told the size of every file received.
	OnUploadBytes func(int64)
	// Observer, when set, records every operation.
	Observer OperationObserver
	// MaxConcurrentQueries bounds the queries executing at once (others
	// wait their turn); 0 means no bound.
	MaxConcurrentQueries int
}

// NewHandler returns the /graphql endpoint: our hardened transports (JSON
// POST, GET for queries, GraphQL multipart uploads), the CSRF gate, the
// error presenter and per-request dataloaders.
func NewHandler(svc *media.Service, cfg HandlerConfig, log *slog.Logger) http.Handler {
	limits := svc.Limits()
	es := Config{Resolvers: &Resolver{Service: svc}}
	es.Complexity = listComplexity()
	srv := handler.New(NewExecutableSchema(es))
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{MaxBodyBytes: cfg.MaxFieldBytes})
	srv.AddTransport(transport.MultipartForm{
		MaxFileBytes:    limits.MaxFileBytes,
		MaxFiles:        limits.MaxFiles,
		MaxFieldBytes:   cfg.MaxFieldBytes,
		MemoryFileBytes: cfg.MemoryFileBytes,
		MemoryBudget:    memoryBudget(cfg.MemoryBudgetBytes),
		SpoolDir:        cfg.SpoolDir,
		OnFile:          cfg.OnUploadBytes,
	})
	// Validation cost grows faster than a query's size: bound the tokens, and
	// the length (comments are not tokens) before anything is parsed or cached.
	srv.SetParserTokenLimit(maxQueryTokens)
	srv.Use(queryLengthLimit{max: maxQueryBytes})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(extension.Introspection{})
	if cfg.Complexity > 0 {
		srv.Use(extension.FixedComplexityLimit(cfg.Complexity))
	}
	srv.Use(operationMetrics{obs: cfg.Observer})
	if cfg.MaxConcurrentQueries > 0 {
		srv.Use(newQueryAdmission(cfg.MaxConcurrentQueries))
	}
	srv.SetErrorPresenter(presentError(log))
	srv.SetRecoverFunc(recoverPanic(log))
	return csrfGate(withRequest(svc, srv))
}

func memoryBudget(bytes int64) *transport.MemoryBudget {
	if bytes <= 0 {
		return nil
	}
	return transport.NewMemoryBudget(bytes)
}

// Playground serves Altair, an in-browser GraphQL IDE that can send files,
// set up to send the header that passes the CSRF gate.
func Playground(endpoint string) http.Handler {
	return playground.AltairHandler("mediagraph", endpoint, map[string]any{
		"initialHeaders": map[string]string{"Apollo-Require-Preflight": "true"},
	})
}
