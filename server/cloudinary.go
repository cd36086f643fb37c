package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mediagraph/mediagraph/internal/cloudinary"
	"github.com/mediagraph/mediagraph/internal/postgres"
	"github.com/mediagraph/mediagraph/internal/transport"
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
	if err := transport.PrepareSpool(spool); err != nil {
		return nil, "", fmt.Errorf("MEDIA_DIR: %w", err)
	}
	return store, spool, nil
}

// refuseOtherStore stops a start over rows of the other store: nothing moves
// files between the local store and Cloudinary, so their URLs would answer
// 404 and their removals could not be done. The store is told by the key:
// the local store's keys end in an extension (ab/<hex>.png), Cloudinary's
// public ids never hold a dot (CLOUDINARY_FOLDER/<hex>).
func refuseOtherStore(ctx context.Context, pool *pgxpool.Pool, cloud bool) error {
	images, removals, err := postgres.NewRepository(pool).CountKeys(ctx, cloud)
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
