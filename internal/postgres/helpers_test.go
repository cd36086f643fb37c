package postgres_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mediagraph/mediagraph/internal/media"
	"github.com/mediagraph/mediagraph/internal/postgres"
	"github.com/mediagraph/mediagraph/internal/postgres/pgtest"
)

// dbURL is this package's own database, made by TestMain.
var dbURL string

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m, &dbURL)) }

var (
	poolOnce sync.Once
	pool     *pgxpool.Pool
	poolErr  error
)

// repo returns a repository on the package's database and its pool.
func repo(t *testing.T) (*postgres.Repository, *pgxpool.Pool) {
	t.Helper()
	poolOnce.Do(func() { pool, poolErr = postgres.Open(context.Background(), dbURL) })
	if poolErr != nil {
		t.Fatal(poolErr)
	}
	return postgres.NewRepository(pool), pool
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newUser makes a user with a subject of its own.
func newUser(t *testing.T, r *postgres.Repository) media.User {
	t.Helper()
	u, err := r.EnsureUser(context.Background(), "sub-"+randHex(8), "User")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// newImage is a gallery row for a file that was (notionally) stored.
func newImage(ownerID string) media.NewImage {
	sum := sha256.Sum256([]byte(randHex(16)))
	k := randHex(17)
	return media.NewImage{
		OwnerID:     ownerID,
		Kind:        media.KindGallery,
		StorageKey:  k[:2] + "/" + k[2:] + ".png",
		Filename:    "f.png",
		ContentType: "image/png",
		Format:      "png",
		Width:       10,
		Height:      20,
		Orientation: 1,
		Bytes:       123,
		SHA256:      hex.EncodeToString(sum[:]),
		Tags:        []string{},
	}
}

// insert guards and inserts gallery rows, as an upload does.
func insert(t *testing.T, r *postgres.Repository, imgs ...media.NewImage) []media.Image {
	t.Helper()
	ctx := context.Background()
	keys := make([]string, len(imgs))
	for i, img := range imgs {
		keys[i] = img.StorageKey
	}
	if err := r.GuardKeys(ctx, keys, time.Hour, true); err != nil {
		t.Fatal(err)
	}
	out, err := r.InsertGallery(ctx, imgs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func count(t *testing.T, p *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := p.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// clearRemovals empties the removal queue at the end of the test that
// fills it, so that the tests of the queue see only their own keys.
func clearRemovals(t *testing.T, p *pgxpool.Pool, keys []string) {
	t.Cleanup(func() {
		if _, err := p.Exec(context.Background(), `DELETE FROM blob_removals WHERE storage_key = ANY($1)`, keys); err != nil {
			t.Error(fmt.Errorf("clear removals: %w", err))
		}
	})
}
