-- reports as issued: the HTML a firm received, with its catalogue version and render state
CREATE TABLE roadmap_versions (
    revision INTEGER PRIMARY KEY,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE issued_reports (
    assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
    lang TEXT NOT NULL,
    revision INTEGER NOT NULL,
    roadmap_revision INTEGER NOT NULL,
    diagnosis TEXT NOT NULL,
    html TEXT NOT NULL,
    cache_key TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    issued_by INTEGER REFERENCES users(id),
    delivered_at TEXT,
    render_state TEXT NOT NULL DEFAULT 'new'
        CHECK (render_state IN ('new', 'queued', 'done', 'failed')),
    render_queued_at TEXT,
    render_error TEXT,
    render_failures INTEGER NOT NULL DEFAULT 0,
    retry_after TEXT,
    PRIMARY KEY (assessment_id, lang, revision)
);
CREATE INDEX issued_reports_failed ON issued_reports (render_state, retry_after);
