-- firm ids are never reused (AUTOINCREMENT): an old audit entry never names another firm
-- rebuilds tables
CREATE TABLE firms_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    center_id INTEGER NOT NULL REFERENCES centers(id),
    name TEXT NOT NULL,
    business_number TEXT NOT NULL,
    region TEXT NOT NULL,
    industry TEXT NOT NULL,
    employees INTEGER NOT NULL,
    revenue_band TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT 'center' CHECK (origin IN ('center', 'self')),
    erased_at TEXT,
    assigned_to INTEGER REFERENCES users(id),
    assigned_at TEXT
);
-- every column, in order: a column added since migration 23 stops this loudly
INSERT INTO firms_rebuilt SELECT * FROM firms;
DROP TABLE firms;
ALTER TABLE firms_rebuilt RENAME TO firms;
CREATE INDEX firms_center_name ON firms (center_id, name);
CREATE UNIQUE INDEX firms_center_number ON firms (center_id, business_number)
    WHERE origin = 'center' AND erased_at IS NULL;
CREATE INDEX firms_peer_group ON firms (industry, employees);
CREATE INDEX firms_assigned ON firms (assigned_to);
-- ids handed out before, deleted since (a linked self-assessment), stay used
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'firms', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'firms');
UPDATE sqlite_sequence SET seq = MAX(
    seq,
    COALESCE((SELECT MAX(id) FROM firms), 0),
    COALESCE((SELECT MAX(target_id) FROM audit_log WHERE target = 'firm'), 0),
    COALESCE((SELECT MAX(firm_id) FROM assessments), 0)
) WHERE name = 'firms';
