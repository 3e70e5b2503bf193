-- a consultant request followed to the visit: contacted, visit booked, visited, closed
-- rebuilds tables
CREATE TABLE consultant_requests_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    center_id INTEGER NOT NULL REFERENCES centers(id),
    firm_id INTEGER NOT NULL REFERENCES firms(id),
    assessment_id INTEGER NOT NULL REFERENCES assessments(id),
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    consent_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN
        ('new', 'assigned', 'contacted', 'booked', 'visited', 'closed')),
    assigned_to INTEGER REFERENCES users(id),
    assigned_by INTEGER REFERENCES users(id),
    assigned_at TEXT,
    created_at TEXT NOT NULL,
    contacted_at TEXT,
    visit_on TEXT,
    visit_time TEXT,
    visit_place TEXT,
    booked_at TEXT,
    visited_at TEXT,
    closed_at TEXT,
    close_reason TEXT CHECK (close_reason IN
        ('duplicate', 'unreachable', 'declined', 'done')),
    merged_into INTEGER REFERENCES consultant_requests(id),
    lang TEXT NOT NULL DEFAULT 'ko'
);
INSERT INTO consultant_requests_rebuilt (id, center_id, firm_id, assessment_id,
    contact_name, contact_phone, contact_email, message, consent_at, status,
    assigned_to, assigned_by, assigned_at, created_at, closed_at, close_reason)
SELECT id, center_id, firm_id, assessment_id, contact_name, contact_phone,
    contact_email, message, consent_at, status, assigned_to, assigned_by, assigned_at,
    created_at, CASE WHEN status = 'closed' THEN created_at END,
    CASE WHEN status = 'closed' THEN 'done' END
FROM consultant_requests;
DROP TABLE consultant_requests;
ALTER TABLE consultant_requests_rebuilt RENAME TO consultant_requests;
CREATE INDEX consultant_requests_center ON consultant_requests (center_id, status, id);
CREATE INDEX consultant_requests_assigned ON consultant_requests (assigned_to, status);
CREATE INDEX consultant_requests_firm ON consultant_requests (firm_id);
CREATE UNIQUE INDEX consultant_requests_open ON consultant_requests (assessment_id)
    WHERE status != 'closed';
ALTER TABLE centers ADD COLUMN answer_days INTEGER;
