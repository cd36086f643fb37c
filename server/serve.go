package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/cors"

	"github.com/mediagraph/mediagraph/graph"
	"github.com/mediagraph/mediagraph/internal/auth"
	"github.com/mediagraph/mediagraph/internal/localfs"
	"github.com/mediagraph/mediagraph/internal/media"
	"github.com/mediagraph/mediagraph/internal/observe"
	"github.com/mediagraph/mediagraph/internal/placeholder"
	"github.com/mediagraph/mediagraph/internal/postgres"
	"github.com/mediagraph/mediagraph/internal/rendition"
)

// Serving limits that are not configuration.
const (
	shutdownGrace   = 30 * time.Second
	maxFieldBytes   = 1 << 20  // JSON bodies, multipart operations and map
	memoryFileBytes = 4 << 20  // uploads up to this stay in memory...
	memoryBudget    = 32 << 20 // ...while all of them together stay under this
	maxComplexity   = 10000    // a page of 100 images with a dozen fields each
	readyTimeout    = 2 * time.Second
)

// app is the assembled server: its handler and what must be closed.
type app struct {
	handler http.Handler
	svc     *media.Service
	store   media.Store
	pool    *pgxpool.Pool
}

// newApp connects, migrates, recovers what an interrupted run left behind and
// builds the handler. configure adjusts the database pool (tests trace it).
func newApp(ctx context.Context, cfg config, log *slog.Logger, configure ...func(*pgxpool.Config)) (*app, error) {
	pool, err := postgres.Open(ctx, cfg.DatabaseURL, configure...)
	if err != nil {
		return nil, err
	}
	a, err := assemble(ctx, cfg, log, pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return a, nil
}

func assemble(ctx context.Context, cfg config, log *slog.Logger, pool *pgxpool.Pool) (*app, error) {
	if err := refuseOtherStore(ctx, pool, cfg.CloudinaryURL != ""); err != nil {
		return nil, err
	}
	var store media.Store
	var files storeFiles
	if cfg.CloudinaryURL != "" {
		cs, spool, err := openCloudinary(cfg, log)
		if err != nil {
			return nil, err
		}
		store, files.spool = cs, spool
	} else {
		ls, err := localfs.New(localfs.Config{Dir: cfg.MediaDir, PublicURL: cfg.PublicURL, NoFsync: !cfg.MediaFsync,
			SigningKey: cfg.signingKey(), MaxPixels: cfg.MaxPixels, Log: log})
		if err != nil {
			return nil, err
		}
		store, files = ls, storeFiles{spool: ls.SpoolDir(), media: ls.Handler("/media/")}
	}
	svc := media.NewService(postgres.NewRepository(pool), store,
		media.Limits{MaxFileBytes: cfg.MaxFileBytes, MaxFiles: cfg.MaxFiles, MaxPixels: cfg.MaxPixels}, placeholder.Generate, log)
	if err := svc.RecoverInterrupted(ctx); err != nil {
		return nil, fmt.Errorf("recover interrupted uploads: %w", err)
	}
	authn, err := auth.New(ctx, auth.Config{JWTSecret: cfg.AuthJWTSecret, JWKSURL: cfg.AuthJWKSURL})
	if err != nil {
		return nil, err
	}
	if authn.Generated {
		tok, err := authn.Issue("demo", "Demo User", 24*time.Hour)
		if err != nil {
			return nil, err
		}
		log.Warn("AUTH_JWT_SECRET is not set: tokens are signed with a random secret that lasts until this process exits. "+
			"Use this demo token as \"Authorization: Bearer <token>\".", "demo_token", tok)
	} else if len(cfg.AuthJWTSecret) > 0 && len(cfg.AuthJWTSecret) < 32 {
		log.Warn("AUTH_JWT_SECRET is shorter than 32 bytes; HS256 wants at least 32 random bytes")
	}
	return &app{handler: routes(cfg, svc, files, authn, observe.NewMetrics(), log), svc: svc, store: store, pool: pool}, nil
}

// serve runs the API until ctx ends (SIGTERM), then lets requests in flight
// finish for up to shutdownGrace.
func serve(ctx context.Context, cfg config, log *slog.Logger, onListen func(net.Addr)) error {
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.pool.Close()
	go func() {
		rendition.Warm()
		// The compiler's working memory is garbage now: give it back to
		// the system rather than carry it in the resident set for minutes.
		debug.FreeOSMemory()
	}()

	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(cfg.Port)))
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Minute, // a 20 MiB upload on a slow link
		WriteTimeout:      10 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	workers, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { a.svc.RunRemovals(workers) })
	wg.Go(func() {
		// Files a power loss may have left without row or guard: swept in
		// the background so that a large store does not delay the start.
		if n, err := a.svc.Reconcile(workers); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("reconcile media store", "op", "reconcile", "err", err)
		} else if n > 0 {
			log.Warn("removed stored files that nothing named", "op", "reconcile", "files", n)
		}
	})
	defer func() { stopWorkers(); wg.Wait() }()

	log.Info("listening", "addr", ln.Addr().String(), "store", a.store.Name(), "graphql", cfg.PublicURL+"/graphql")
	if onListen != nil {
		onListen(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight", "grace_s", shutdownGrace.Seconds())
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Past the grace: cut what is left. Interrupted uploads leave guards
		// that the next start collects; the exit is still a clean one.
		log.Warn("requests still running after the grace; closing them", "err", err)
		_ = srv.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// storeFiles is what the HTTP surface needs of the media store: where
// uploads spill, and the handler of /media/ (nil: not the local store).
type storeFiles struct {
	spool string
	media http.Handler
}

// routes builds the HTTP surface of API.md.
func routes(cfg config, svc *media.Service, files storeFiles, authn *auth.Authenticator, m *observe.Metrics, log *slog.Logger) http.Handler {
	gql := graph.NewHandler(svc, graph.HandlerConfig{
		MaxFieldBytes:     maxFieldBytes,
		MemoryFileBytes:   memoryFileBytes,
		MemoryBudgetBytes: memoryBudget,
		SpoolDir:          files.spool,
		Complexity:        maxComplexity,
		OnUploadBytes:     m.ObserveUpload,
		Observer:          m,
		// One query per CPU, and one more to keep the CPUs busy while a
		// query waits for PostgreSQL.
		MaxConcurrentQueries: runtime.GOMAXPROCS(0) + 1,
	}, log)
	gql = authn.Middleware(gql)

	mux := http.NewServeMux()
	mux.Handle("GET /graphql", m.Route("graphql", gql))
	mux.Handle("POST /graphql", m.Route("graphql", gql))
	mux.Handle("GET /{$}", graph.Playground("/graphql"))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := svc.Ready(ctx); err != nil {
			log.Warn("not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", m.Handler())
	if files.media != nil {
		mux.Handle("/media/", m.Route("media", files.media))
	}

	c := cors.New(cors.Options{
		AllowedOrigins:   cfg.CORSAllowedOrigins,
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:   []string{"Authorization", "Content-Type", "Apollo-Require-Preflight", "X-Apollo-Operation-Name", "X-Request-Id"},
		ExposedHeaders:   []string{"X-Request-Id"},
		MaxAge:           600,
		AllowCredentials: false,
	})
	return observe.Logging(log, c.Handler(mux))
}
