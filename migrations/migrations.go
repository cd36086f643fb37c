// Package migrations holds the database schema as numbered SQL files, embedded
// so that the server applies them at start without anything on disk.
package migrations

import "embed"

// FS holds the goose migrations, 00001_init.sql onwards.
//
//go:embed *.sql
var FS embed.FS
