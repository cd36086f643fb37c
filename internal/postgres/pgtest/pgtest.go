// Package pgtest gives a test package a database of its own on the real
// PostgreSQL: created and migrated before the tests, dropped after them.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	neturl "net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mediagraph/mediagraph/internal/postgres"
)

// DefaultAdminURL is where tests find PostgreSQL unless TEST_DATABASE_URL
// says otherwise.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Run creates a fresh database for each of urls (one is the usual), stores
// its URL there, runs the package's tests and drops the databases. A second
// database serves tests that must not share rows with the others. It fails
// loudly, never skips, when PostgreSQL cannot be reached.
func Run(m *testing.M, urls ...*string) int {
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		admin = DefaultAdminURL
	}
	cfg, err := pgx.ParseConfig(admin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: TEST_DATABASE_URL: %v\n", err)
		return 1
	}
	for _, url := range urls {
		name, err := create(cfg, admin, url)
		if name != "" {
			defer drop(cfg, name)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
			return 1
		}
	}
	return m.Run()
}

// create makes and migrates a database of a random name, storing its URL in
// *url; the name is returned (for dropping) once the database exists.
func create(cfg *pgx.ConnConfig, admin string, url *string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "mediagraph_test_" + hex.EncodeToString(b[:])
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return "", fmt.Errorf("cannot reach PostgreSQL at %s (set TEST_DATABASE_URL): %w", cfg.Host, err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		_ = conn.Close(ctx)
		return "", fmt.Errorf("create database: %w", err)
	}
	_ = conn.Close(ctx)
	*url = withDatabase(admin, name)
	pool, err := postgres.Open(ctx, *url)
	if err != nil {
		return name, fmt.Errorf("migrate: %w", err)
	}
	pool.Close()
	return name, nil
}

// withDatabase returns the connection string with its database replaced.
func withDatabase(conn, name string) string {
	u, err := neturl.Parse(conn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return conn + " dbname=" + name // keyword/value form: the last dbname wins
	}
	u.Path = "/" + name
	return u.String()
}

func drop(cfg *pgx.ConnConfig, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: drop %s: %v\n", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: drop %s: %v\n", name, err)
	}
}
