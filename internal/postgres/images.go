package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mediagraph/mediagraph/internal/media"
)

const imageColumns = `id::text, owner_id::text, kind, storage_key, provider, filename, content_type, format,
	width, height, orientation, bytes, sha256, alt, tags, placeholder, created_at`

func scanImage(row pgx.Row) (media.Image, error) {
	var img media.Image
	var kind string
	var provider []byte
	err := row.Scan(&img.ID, &img.OwnerID, &kind, &img.StorageKey, &provider, &img.Filename, &img.ContentType,
		&img.Format, &img.Width, &img.Height, &img.Orientation, &img.Bytes, &img.SHA256, &img.Alt, &img.Tags,
		&img.Placeholder, &img.CreatedAt)
	if err != nil {
		return media.Image{}, err
	}
	img.Kind = media.Kind(kind)
	if len(provider) > 2 {
		if err := json.Unmarshal(provider, &img.Provider); err != nil {
			return media.Image{}, fmt.Errorf("decode provider of image %s: %w", img.ID, err)
		}
	}
	img.Alt = decodeOptText(img.Alt)
	img.Tags = decodeTexts(img.Tags)
	img.CreatedAt = img.CreatedAt.UTC()
	return img, nil
}

func collectImages(rows pgx.Rows) ([]media.Image, error) {
	defer rows.Close()
	var out []media.Image
	for rows.Next() {
		img, err := scanImage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	return out, rows.Err()
}

// ImagesByID returns the images that exist among ids.
func (r *Repository) ImagesByID(ctx context.Context, ids []string) (map[string]media.Image, error) {
	out := make(map[string]media.Image, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := r.pool.Query(ctx, `SELECT `+imageColumns+` FROM images WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, fmt.Errorf("load images: %w", err)
	}
	imgs, err := collectImages(rows)
	if err != nil {
		return nil, fmt.Errorf("load images: %w", err)
	}
	for _, img := range imgs {
		out[img.ID] = img
	}
	return out, nil
}

// GalleryImagesBySHA256 returns the owner's gallery images with those digests.
func (r *Repository) GalleryImagesBySHA256(ctx context.Context, ownerID string, digests []string) (map[string]media.Image, error) {
	rows, err := r.pool.Query(ctx, `SELECT `+imageColumns+` FROM images
		WHERE owner_id = $1 AND kind = 'gallery' AND sha256 = ANY($2)`, ownerID, digests)
	if err != nil {
		return nil, fmt.Errorf("find images by digest: %w", err)
	}
	imgs, err := collectImages(rows)
	if err != nil {
		return nil, fmt.Errorf("find images by digest: %w", err)
	}
	out := make(map[string]media.Image, len(imgs))
	for _, img := range imgs {
		out[img.SHA256] = img
	}
	return out, nil
}

// ListImages returns a page of the owner's gallery, newest first, reading one
// row more than asked to learn whether another page follows.
func (r *Repository) ListImages(ctx context.Context, q media.ImageQuery) (media.ImagePage, error) {
	args := pgx.NamedArgs{"owner": q.OwnerID, "limit": q.First + 1}
	where := `owner_id = @owner AND kind = 'gallery'`
	if q.Tag != nil {
		where += ` AND tags @> ARRAY[@tag::text]`
		args["tag"] = encodeText(*q.Tag)
	}
	if q.After != nil {
		where += ` AND (created_at, id) < (@after_at, @after_id::uuid)`
		args["after_at"], args["after_id"] = q.After.CreatedAt, q.After.ID
	}
	rows, err := r.pool.Query(ctx, `SELECT `+imageColumns+` FROM images WHERE `+where+`
		ORDER BY created_at DESC, id DESC LIMIT @limit`, args)
	if err != nil {
		return media.ImagePage{}, fmt.Errorf("list images: %w", err)
	}
	imgs, err := collectImages(rows)
	if err != nil {
		return media.ImagePage{}, fmt.Errorf("list images: %w", err)
	}
	page := media.ImagePage{Images: imgs}
	if len(imgs) > q.First {
		page.Images, page.HasNext = imgs[:q.First], true
	}
	return page, nil
}

// CountImages counts the owner's gallery images, with the tag when set.
func (r *Repository) CountImages(ctx context.Context, ownerID string, tag *string) (int, error) {
	var n int
	var err error
	if tag == nil {
		err = r.pool.QueryRow(ctx, `SELECT count(*) FROM images WHERE owner_id = $1 AND kind = 'gallery'`, ownerID).Scan(&n)
	} else {
		err = r.pool.QueryRow(ctx, `SELECT count(*) FROM images WHERE owner_id = $1 AND kind = 'gallery' AND tags @> ARRAY[$2::text]`,
			ownerID, encodeText(*tag)).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("count images: %w", err)
	}
	return n, nil
}

// insertImage inserts one row. With dedupe, a gallery row whose bytes the
// owner already has is not inserted and (nil-ID image, nil) is returned.
func insertImage(ctx context.Context, tx pgx.Tx, img media.NewImage, dedupe bool) (media.Image, error) {
	provider, err := json.Marshal(img.Provider)
	if err != nil {
		return media.Image{}, fmt.Errorf("encode provider metadata: %w", err)
	}
	if img.Provider == nil {
		provider = []byte("{}")
	}
	tags := img.Tags
	if tags == nil {
		tags = []string{}
	}
	conflict := ""
	if dedupe {
		conflict = `ON CONFLICT (owner_id, sha256) WHERE kind = 'gallery' DO NOTHING`
	}
	out, err := scanImage(tx.QueryRow(ctx, `
		INSERT INTO images (owner_id, kind, storage_key, provider, filename, content_type, format,
			width, height, orientation, bytes, sha256, alt, tags)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		`+conflict+` RETURNING `+imageColumns,
		img.OwnerID, string(img.Kind), img.StorageKey, provider, img.Filename, img.ContentType, img.Format,
		img.Width, img.Height, img.Orientation, img.Bytes, img.SHA256, encodeOptText(img.Alt), encodeTexts(tags)))
	if dedupe && errors.Is(err, pgx.ErrNoRows) {
		return media.Image{}, nil
	}
	return out, err
}

// InsertGallery inserts the rows in one transaction, claiming their guards.
// A row whose bytes the owner already has (a concurrent upload committed
// first) yields the existing image, and the new file is queued for removal.
func (r *Repository) InsertGallery(ctx context.Context, imgs []media.NewImage) ([]media.Image, error) {
	out := make([]media.Image, len(imgs))
	keys := make([]string, len(imgs))
	for i, img := range imgs {
		keys[i] = img.StorageKey
	}
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		if err := claimGuards(ctx, tx, keys); err != nil {
			return err
		}
		for i, img := range imgs {
			inserted, err := insertImage(ctx, tx, img, true)
			if err != nil {
				return err
			}
			if inserted.ID == "" {
				inserted, err = scanImage(tx.QueryRow(ctx, `SELECT `+imageColumns+` FROM images
					WHERE owner_id = $1 AND kind = 'gallery' AND sha256 = $2`, img.OwnerID, img.SHA256))
				if err != nil {
					return fmt.Errorf("find the image that won the race: %w", err)
				}
				if err := queueRemoval(ctx, tx, []string{img.StorageKey}, 0); err != nil {
					return err
				}
			}
			out[i] = inserted
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("insert images: %w", err)
	}
	return out, nil
}

// ownedImageForUpdate locks the owner's image, telling NOT_FOUND from FORBIDDEN.
func ownedImageForUpdate(ctx context.Context, tx pgx.Tx, ownerID, id string) error {
	var owner string
	err := tx.QueryRow(ctx, `SELECT owner_id::text FROM images WHERE id = $1 FOR UPDATE`, id).Scan(&owner)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return media.Errorf(media.CodeNotFound, "No image with that id.")
	case err != nil:
		return err
	case owner != ownerID:
		return media.Errorf(media.CodeForbidden, "That image belongs to someone else.")
	}
	return nil
}

// UpdateImage applies the patch to the owner's image.
func (r *Repository) UpdateImage(ctx context.Context, ownerID, id string, patch media.ImagePatch) (media.Image, error) {
	var out media.Image
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		if err := ownedImageForUpdate(ctx, tx, ownerID, id); err != nil {
			return err
		}
		args := pgx.NamedArgs{"id": id, "set_alt": patch.Alt != nil, "set_tags": patch.Tags != nil, "alt": nil, "tags": []string{}}
		if patch.Alt != nil {
			args["alt"] = encodeOptText(patch.Alt.Value)
		}
		if patch.Tags != nil {
			args["tags"] = encodeTexts(*patch.Tags)
		}
		var err error
		out, err = scanImage(tx.QueryRow(ctx, `UPDATE images SET
			alt = CASE WHEN @set_alt THEN @alt::text ELSE alt END,
			tags = CASE WHEN @set_tags THEN @tags::text[] ELSE tags END
			WHERE id = @id RETURNING `+imageColumns, args))
		return err
	})
	if err != nil {
		return media.Image{}, fmt.Errorf("update image: %w", err)
	}
	return out, nil
}

// DeleteImage deletes the owner's image and queues its file for removal.
func (r *Repository) DeleteImage(ctx context.Context, ownerID, id string) error {
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		if err := ownedImageForUpdate(ctx, tx, ownerID, id); err != nil {
			return err
		}
		return deleteImageRow(ctx, tx, id)
	})
	if err != nil {
		return fmt.Errorf("delete image: %w", err)
	}
	return nil
}

// SetPlaceholder stores an image's placeholder.
func (r *Repository) SetPlaceholder(ctx context.Context, id, placeholder string) error {
	if _, err := r.pool.Exec(ctx, `UPDATE images SET placeholder = $2 WHERE id = $1`, id, placeholder); err != nil {
		return fmt.Errorf("set placeholder: %w", err)
	}
	return nil
}
