-- a firm owner's self-assessment by secret link: the answers being given, then its result
CREATE TABLE self_assessments (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    questionnaire_id TEXT NOT NULL,
    questionnaire_version INTEGER NOT NULL,
    form TEXT NOT NULL DEFAULT 'short' CHECK (form IN ('short', 'full')),
    status TEXT NOT NULL DEFAULT 'answering'
        CHECK (status IN ('answering', 'submitted')),
    profile TEXT NOT NULL DEFAULT '{}',
    answers TEXT NOT NULL DEFAULT '{}',
    submissions INTEGER NOT NULL DEFAULT 0,
    assessment_id INTEGER REFERENCES assessments(id),
    lang TEXT NOT NULL DEFAULT 'ko',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    submitted_at TEXT,
    FOREIGN KEY (questionnaire_id, questionnaire_version)
        REFERENCES questionnaire_versions (questionnaire_id, version)
);
CREATE INDEX self_assessments_expiry ON self_assessments (expires_at);
CREATE INDEX self_assessments_assessment ON self_assessments (assessment_id);
