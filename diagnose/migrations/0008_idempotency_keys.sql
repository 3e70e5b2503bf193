-- idempotency keys of API submissions
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
    result_token TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (scope, key_hash)
);
