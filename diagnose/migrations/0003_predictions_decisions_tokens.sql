-- predictions, consultant decisions, API tokens, self-assessment links
CREATE TABLE predictions (
    id INTEGER PRIMARY KEY,
    assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
    model_version TEXT NOT NULL,
    track TEXT NOT NULL,
    probabilities TEXT NOT NULL,
    explanation TEXT NOT NULL,
    scores TEXT NOT NULL,
    readiness REAL,
    created_at TEXT NOT NULL
);
CREATE INDEX predictions_assessment ON predictions (assessment_id, id);
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
    prediction_id INTEGER NOT NULL REFERENCES predictions(id),
    predicted_track TEXT NOT NULL,
    final_track TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('confirm', 'override')),
    reason TEXT NOT NULL DEFAULT '',
    decided_by INTEGER NOT NULL REFERENCES users(id),
    decided_at TEXT NOT NULL
);
CREATE INDEX decisions_assessment ON decisions (assessment_id, id);
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    last_used_at TEXT
);
ALTER TABLE assessments ADD COLUMN source TEXT NOT NULL DEFAULT 'consultant';
ALTER TABLE assessments ADD COLUMN result_token_hash TEXT;
CREATE UNIQUE INDEX assessments_result_token ON assessments (result_token_hash);
