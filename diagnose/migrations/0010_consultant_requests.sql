-- a self-assessed firm's request for a consultant, in its regional center's queue
CREATE TABLE consultant_requests (
    id INTEGER PRIMARY KEY,
    center_id INTEGER NOT NULL REFERENCES centers(id),
    firm_id INTEGER NOT NULL REFERENCES firms(id),
    assessment_id INTEGER NOT NULL REFERENCES assessments(id),
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    consent_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'assigned', 'closed')),
    assigned_to INTEGER REFERENCES users(id),
    assigned_by INTEGER REFERENCES users(id),
    assigned_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX consultant_requests_center ON consultant_requests (center_id, status, id);
CREATE UNIQUE INDEX consultant_requests_open ON consultant_requests (assessment_id)
    WHERE status != 'closed';
