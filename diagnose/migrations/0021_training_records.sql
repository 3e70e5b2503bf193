-- training a firm took between two diagnoses (module, dates, hours)
CREATE TABLE training_records (
    id INTEGER PRIMARY KEY,
    firm_id INTEGER NOT NULL REFERENCES firms(id) ON DELETE CASCADE,
    center_id INTEGER NOT NULL REFERENCES centers(id),
    module_id TEXT NOT NULL,
    title TEXT NOT NULL,
    started_on TEXT NOT NULL,
    ended_on TEXT,
    hours REAL NOT NULL CHECK (hours > 0),
    trainees INTEGER,
    recorded_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE INDEX training_records_firm ON training_records (firm_id, started_on);
