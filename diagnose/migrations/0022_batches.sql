-- batch printing: a batch of reports rendered on the task queue, item by item
CREATE TABLE batches (
    id INTEGER PRIMARY KEY,
    center_id INTEGER REFERENCES centers(id),
    created_by INTEGER REFERENCES users(id),
    lang TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('zip', 'pdf')),
    filters TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'assembling', 'done', 'failed')),
    total INTEGER NOT NULL,
    file TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE TABLE batch_items (
    batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
    assessment_id INTEGER NOT NULL REFERENCES assessments(id),
    position INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'rendering', 'done', 'failed')),
    cache_key TEXT,
    error TEXT,
    started_at TEXT,
    finished_at TEXT,
    PRIMARY KEY (batch_id, assessment_id)
);
CREATE INDEX batch_items_status ON batch_items (batch_id, status);
