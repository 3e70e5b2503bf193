-- the themes of a firm's stated task: the task model's reading and the consultant's setting
CREATE TABLE task_readings (
    assessment_id INTEGER PRIMARY KEY REFERENCES assessments(id) ON DELETE CASCADE,
    text_digest TEXT NOT NULL,
    model_version TEXT NOT NULL,
    best_theme TEXT,
    best_confidence REAL,
    read_at TEXT NOT NULL
);
CREATE TABLE assessment_themes (
    assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
    theme TEXT NOT NULL,
    confidence REAL NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    source TEXT NOT NULL CHECK (source IN ('model', 'consultant')),
    set_by INTEGER REFERENCES users(id),
    set_at TEXT NOT NULL,
    PRIMARY KEY (assessment_id, source, theme)
);
