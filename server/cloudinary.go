package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/mediagraph/mediagraph/internal/cloudinary"
)

// openCloudinary builds the Cloudinary store, and the spool directory where
// uploads larger than memoryFileBytes spill while they are checked and sent:
// MEDIA_DIR/.spool, emptied of what an interrupted run left there.
func openCloudinary(cfg config, log *slog.Logger) (*cloudinary.Store, string, error) {
	store, err := cloudinary.New(cloudinary.Config{
		URL: cfg.CloudinaryURL, Folder: cfg.CloudinaryFolder, Timeout: cfg.CloudinaryTimeout,
		Client: cfg.cloudinaryClient, Log: log,
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
