-- The Apollo baseline's tables, applied at every start (idempotent).

CREATE TABLE IF NOT EXISTS users (
  id         bigserial PRIMARY KEY,
  subject    text NOT NULL UNIQUE,
  name       text NOT NULL,
  avatar_id  bigint,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS images (
  id           bigserial PRIMARY KEY,
  owner_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind         text NOT NULL DEFAULT 'gallery' CHECK (kind IN ('gallery', 'avatar')),
  storage_key  text NOT NULL UNIQUE,
  filename     text NOT NULL,
  content_type text NOT NULL,
  bytes        bigint NOT NULL,
  sha256       text NOT NULL,
  width        integer NOT NULL,
  height       integer NOT NULL,
  alt          text,
  tags         text[] NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- Serves images(first, after): one owner's gallery, newest (highest id) first.
CREATE INDEX IF NOT EXISTS images_owner_gallery_newest ON images (owner_id, id DESC) WHERE kind = 'gallery';

DO $$
BEGIN
  ALTER TABLE users ADD CONSTRAINT users_avatar_fk FOREIGN KEY (avatar_id) REFERENCES images (id) ON DELETE SET NULL;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
