-- cohorts for the joint training centers: firms of one theme and timing, invited, joined
CREATE TABLE cohorts (
    id INTEGER PRIMARY KEY,
    center_id INTEGER NOT NULL REFERENCES centers(id),
    theme TEXT NOT NULL,
    title TEXT NOT NULL,
    start_window TEXT NOT NULL,
    seats INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'forming' CHECK (status IN ('forming', 'closed')),
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE INDEX cohorts_center ON cohorts (center_id, status);
CREATE TABLE cohort_members (
    cohort_id INTEGER NOT NULL REFERENCES cohorts(id) ON DELETE CASCADE,
    firm_id INTEGER NOT NULL REFERENCES firms(id),
    assessment_id INTEGER REFERENCES assessments(id),
    trainees INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL DEFAULT 'proposed'
        CHECK (status IN ('proposed', 'invited', 'joined', 'declined')),
    invited_at TEXT,
    invited_by INTEGER REFERENCES users(id),
    invited_email TEXT,
    answered_at TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (cohort_id, firm_id)
);
CREATE INDEX cohort_members_firm ON cohort_members (firm_id);
