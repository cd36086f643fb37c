package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mediagraph/mediagraph/bench/bare"
)

// bareHandler serves the bare upload handler with a health check.
func bareHandler(dir string, fsync bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.Handle("POST /graphql", bare.Handler(dir, fsync))
	return mux
}

// serveBare runs the bare handler on addr until SIGINT or SIGTERM.
func serveBare(addr, dir string, fsync bool) error {
	if dir == "" {
		return errors.New("-serve-bare needs -dir")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Addr: addr, Handler: bareHandler(dir, fsync), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Printf("bare upload handler (pid %d) on %s, files to %s", os.Getpid(), addr, dir)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
