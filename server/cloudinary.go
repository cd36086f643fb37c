package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mediagraph/mediagraph/internal/cloudinary"
)

// openCloudinary builds the Cloudinary store, and the spool directory where
// uploads larger than memoryFileBytes spill while they are checked and sent:
// MEDIA_DIR/.spool, emptied of what an interrupted run left there.
func openCloudinary(cfg config, log *slog.Logger) (*cloudinary.Store, string, error) {
	store, err := cloudinary.New(cloudinary.Config{
		URL: cfg.CloudinaryURL, Folder: cfg.CloudinaryFolder, Timeout: cfg.CloudinaryTimeout,
		Client: cfg.cloudinaryClient, Log: log, SettleTime: cfg.cloudinarySettle,
	})
	if err != nil {
		return nil, "", err
	}
	spool := filepath.Join(cfg.MediaDir, ".spool")
	if err := os.MkdirAll(spool, 0o755); err != nil {
		return nil, "", fmt.Errorf("MEDIA_DIR: %w", err)
	}
	entries, err := os.ReadDir(spool)
	if err != nil {
		return nil, "", fmt.Errorf("MEDIA_DIR: %w", err)
	}
	for _, e := range entries {
		// Only the transport's own temp files: MEDIA_DIR may be shared.
		if strings.HasPrefix(e.Name(), "upload-") {
			if err := os.Remove(filepath.Join(spool, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, "", fmt.Errorf("clean spool: %w", err)
			}
		}
	}
	return store, spool, nil
}

// refuseOtherStore stops a start over rows of the other store: nothing moves
// files between the local store and Cloudinary, so their URLs would answer
// 404 and their removals could not be done. The store is told by the key:
// the local store's keys end in an extension (ab/<hex>.png), Cloudinary's
// public ids never hold a dot (CLOUDINARY_FOLDER/<hex>).
func refuseOtherStore(ctx context.Context, pool *pgxpool.Pool, cloud bool) error {
	var images, removals int64
	err := pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM images WHERE (strpos(storage_key, '.') > 0) = $1),
		(SELECT count(*) FROM blob_removals WHERE (strpos(storage_key, '.') > 0) = $1)`, cloud).Scan(&images, &removals)
	if err != nil {
		return fmt.Errorf("check the store of existing images: %w", err)
	}
	if images == 0 && removals == 0 {
		return nil
	}
	if cloud {
		return fmt.Errorf("CLOUDINARY_URL is set, but the database holds %d images and %d pending removals of the local store (MEDIA_DIR); "+
			"nothing moves files between stores. Unset CLOUDINARY_URL to keep serving them, "+
			"or delete those images while the local store is in use (and let its removal queue empty) before switching", images, removals)
	}
	return fmt.Errorf("CLOUDINARY_URL is not set, but the database holds %d images and %d pending removals in Cloudinary; "+
		"nothing moves files between stores. Set CLOUDINARY_URL to keep serving them, "+
		"or delete those images while Cloudinary is in use (and let its removal queue empty) before switching", images, removals)
}
