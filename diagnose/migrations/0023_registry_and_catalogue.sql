-- the shared-center registry and the training catalogue kept in the database
CREATE TABLE registry_centers (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    data TEXT NOT NULL,
    sample INTEGER NOT NULL DEFAULT 0,
    file_digest TEXT,
    edited_by INTEGER REFERENCES users(id),
    edited_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE catalogue_modules (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    data TEXT NOT NULL,
    file_digest TEXT,
    edited_by INTEGER REFERENCES users(id),
    edited_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE roadmap_revision (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL
);
INSERT INTO roadmap_revision (id, revision) VALUES (1, 0);
