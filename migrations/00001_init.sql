-- +goose Up
CREATE TABLE users (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    subject     text NOT NULL UNIQUE,
    name        text NOT NULL,
    avatar_id   uuid,
    avatar_crop jsonb,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- kind separates the gallery (uploadImage/uploadImages) from profile photos
-- (setAvatar): listings, counts and dedupe see only the gallery.
CREATE TABLE images (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('gallery', 'avatar')),
    storage_key  text NOT NULL UNIQUE,
    provider     jsonb NOT NULL DEFAULT '{}'::jsonb,
    filename     text NOT NULL,
    content_type text NOT NULL,
    format       text NOT NULL,
    width        integer NOT NULL CHECK (width > 0),
    height       integer NOT NULL CHECK (height > 0),
    orientation  smallint NOT NULL DEFAULT 1,
    bytes        bigint NOT NULL CHECK (bytes > 0),
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    alt          text,
    tags         text[] NOT NULL DEFAULT '{}',
    placeholder  text,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- The same bytes twice in one gallery make one image, even when two uploads race.
CREATE UNIQUE INDEX images_gallery_sha256 ON images (owner_id, sha256) WHERE kind = 'gallery';
-- Keyset pagination, newest first.
CREATE INDEX images_gallery_page ON images (owner_id, created_at DESC, id DESC) WHERE kind = 'gallery';
CREATE INDEX images_tags ON images USING gin (tags);

ALTER TABLE users ADD CONSTRAINT users_avatar_fk
    FOREIGN KEY (avatar_id) REFERENCES images (id) ON DELETE SET NULL;

-- Stored objects that must be removed from the media store: written before a
-- file is stored (due an hour later, in case the request dies) and deleted in
-- the transaction that inserts its row; written in the transaction that
-- deletes a row (due at once). A worker removes what is due and retries failures.
CREATE TABLE blob_removals (
    storage_key text PRIMARY KEY,
    due_at      timestamptz NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text
);
CREATE INDEX blob_removals_due ON blob_removals (due_at);

-- +goose Down
DROP TABLE blob_removals;
ALTER TABLE users DROP CONSTRAINT users_avatar_fk;
DROP TABLE images;
DROP TABLE users;
