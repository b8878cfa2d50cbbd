-- kapstone schema 0018: the practice blog (issue 8, item 2). Posts are
-- Markdown written by staff; a post is public once its status is
-- 'published' and its publish_at has come (a later publish_at schedules
-- it). Images are uploaded by staff and served at /media/{id}; they hold no
-- patient information.

CREATE TABLE images (
    id           TEXT PRIMARY KEY,
    content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/gif')),
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    bytes        BYTEA NOT NULL,
    size         INTEGER NOT NULL,
    alt          TEXT NOT NULL DEFAULT '',
    uploaded_by  TEXT NOT NULL REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX images_created ON images (created_at);

CREATE TABLE blog_posts (
    id             TEXT PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,
    title          TEXT NOT NULL,
    summary        TEXT NOT NULL DEFAULT '',
    body           TEXT NOT NULL DEFAULT '',
    author_id      TEXT NOT NULL REFERENCES users (id),
    status         TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    publish_at     TIMESTAMPTZ,
    cover_image_id TEXT NOT NULL DEFAULT '',
    cover_alt      TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    updated_by     TEXT NOT NULL
);
CREATE INDEX blog_posts_visible ON blog_posts (status, publish_at);
CREATE INDEX blog_posts_author ON blog_posts (author_id);

CREATE TABLE blog_post_tags (
    post_id TEXT NOT NULL REFERENCES blog_posts (id),
    tag     TEXT NOT NULL,
    PRIMARY KEY (post_id, tag)
);
CREATE INDEX blog_post_tags_tag ON blog_post_tags (tag, post_id);
