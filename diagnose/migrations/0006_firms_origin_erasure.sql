-- firms: self-assessed firms apart from a center's own, erasure on request
-- rebuilds tables
CREATE TABLE firms_rebuilt (
    id INTEGER PRIMARY KEY,
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
    erased_at TEXT
);
INSERT INTO firms_rebuilt (id, center_id, name, business_number, region, industry,
    employees, revenue_band, contact_name, contact_phone, contact_email, created_by,
    created_at, updated_at, origin)
SELECT id, center_id, name, business_number, region, industry, employees, revenue_band,
    contact_name, contact_phone, contact_email, created_by, created_at, updated_at,
    CASE WHEN created_by IS NULL THEN 'self' ELSE 'center' END
FROM firms;
DROP TABLE firms;
ALTER TABLE firms_rebuilt RENAME TO firms;
CREATE INDEX firms_center_name ON firms (center_id, name);
CREATE UNIQUE INDEX firms_center_number ON firms (center_id, business_number)
    WHERE origin = 'center' AND erased_at IS NULL;
CREATE INDEX firms_peer_group ON firms (industry, employees);
