-- questionnaire versions, assessments and answers
CREATE TABLE questionnaire_versions (
    questionnaire_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    digest TEXT NOT NULL,
    definition TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    PRIMARY KEY (questionnaire_id, version)
);
CREATE TABLE assessments (
    id INTEGER PRIMARY KEY,
    firm_id INTEGER NOT NULL REFERENCES firms(id),
    center_id INTEGER NOT NULL REFERENCES centers(id),
    consultant_id INTEGER REFERENCES users(id),
    questionnaire_id TEXT NOT NULL,
    questionnaire_version INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted')),
    profile TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    submitted_at TEXT,
    FOREIGN KEY (questionnaire_id, questionnaire_version)
        REFERENCES questionnaire_versions (questionnaire_id, version)
);
CREATE INDEX assessments_firm ON assessments (firm_id, created_at);
CREATE INDEX assessments_center ON assessments (center_id, status);
CREATE TABLE answers (
    assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
    item_id TEXT NOT NULL,
    value TEXT,
    note TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (assessment_id, item_id)
);
