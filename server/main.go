// Command server runs mediagraph: the GraphQL media API, its playground,
// health checks, metrics and (with the local store) the media files.
//
//	go run ./server            serve (creates the database and migrates first)
//	go run ./server migrate    apply the migrations and exit
//	go run ./server token --sub alice --name Alice
//	                           print a bearer token signed with AUTH_JWT_SECRET
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/mediagraph/mediagraph/internal/auth"
	"github.com/mediagraph/mediagraph/internal/postgres"
)

// The garbage collector's defaults trade memory for CPU, within a bound.
// The live heap of a media server is small (uploads stream through pooled
// buffers) and resolving a page of images allocates many short-lived
// objects, so the heap may grow to three times what is live (GOGC=200; a
// page of 50 images measured 1.6 ms of CPU at 400, 1.75 at 200 and 2.05 at
// Go's default of 100) while a soft limit keeps the process's memory near 64 MiB, collecting more often
// as it gets close (a render that needs more still gets it: the limit is
// soft, and a 24-megapixel PNG rendered 7% slower under a lower one). GOGC
// and GOMEMLIMIT set in the environment win.
const (
	defaultGCPercent   = 200
	defaultMemoryLimit = 64 << 20
)

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil))
}

// run is the whole program, callable from tests: onListen, when set, is told
// the address the server listens on.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, onListen func(net.Addr)) int {
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	// What libraries print through the standard log package (the Cloudinary
	// SDK does, e.g. "io: read/write on closed pipe" on an aborted upload)
	// goes through the same JSON handler, at Info. Restored on return: tests
	// run the program more than once in one process.
	prevOut, prevFlags, prevLog := stdlog.Writer(), stdlog.Flags(), slog.Default()
	slog.SetDefault(log)
	defer func() {
		slog.SetDefault(prevLog)
		stdlog.SetOutput(prevOut)
		stdlog.SetFlags(prevFlags)
	}()
	cmd := "serve"
	if len(args) > 0 && (args[0] == "serve" || args[0] == "migrate" || args[0] == "token") {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("mediagraph "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sub, name string
	var ttl time.Duration
	if cmd == "token" {
		fs.StringVar(&sub, "sub", "", "the token's subject: the user it speaks for (required)")
		fs.StringVar(&name, "name", "", "the user's display name")
		fs.DurationVar(&ttl, "ttl", 30*24*time.Hour, "how long the token is valid")
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: server [serve|migrate|token] [flags]\n\n"+
			"  serve    run the API (the default)\n  migrate  create the database if needed, apply migrations, exit\n"+
			"  token    print a bearer token signed with AUTH_JWT_SECRET (--sub, --name, --ttl)\n\n"+
			"Every flag may also be set by the environment variable in brackets.\n\n")
		fs.PrintDefaults()
	}
	cfg, err := parseConfig(fs, args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	// Signing a token needs only the secret: the rest of the configuration
	// may be incomplete where tokens are made.
	if err != nil && cmd != "token" {
		fmt.Fprintf(stderr, "mediagraph: configuration:\n%v\n", err)
		return 2
	}
	switch cmd {
	case "migrate":
		pool, err := postgres.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			log.Error("migrate", "err", err)
			return 1
		}
		pool.Close()
		log.Info("migrations applied")
		return 0
	case "token":
		return printToken(cfg, sub, name, ttl, stdout, stderr)
	}
	if err := serve(ctx, cfg, log, onListen); err != nil {
		log.Error("server stopped", "err", err)
		return 1
	}
	return 0
}

func printToken(cfg config, sub, name string, ttl time.Duration, stdout, stderr io.Writer) int {
	if cfg.AuthJWTSecret == "" {
		fmt.Fprintln(stderr, "mediagraph token: set AUTH_JWT_SECRET (or --auth-jwt-secret) to the secret the server uses; "+
			"a server started without one makes a random secret and logs a demo token instead.")
		return 2
	}
	if sub == "" {
		fmt.Fprintln(stderr, "mediagraph token: --sub is required")
		return 2
	}
	a, err := auth.New(context.Background(), auth.Config{JWTSecret: cfg.AuthJWTSecret})
	if err != nil {
		fmt.Fprintf(stderr, "mediagraph token: %v\n", err)
		return 2
	}
	tok, err := a.Issue(sub, name, ttl)
	if err != nil {
		fmt.Fprintf(stderr, "mediagraph token: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, tok)
	return 0
}
