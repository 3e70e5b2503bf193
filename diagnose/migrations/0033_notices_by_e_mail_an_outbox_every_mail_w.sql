-- notices by e-mail: an outbox every mail waits in until it is sent; an owner's address
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    center_id INTEGER REFERENCES centers(id),
    firm_id INTEGER REFERENCES firms(id),
    request_id INTEGER REFERENCES consultant_requests(id),
    channel TEXT NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'sms')),
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    lang TEXT NOT NULL DEFAULT 'ko',
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    calendar TEXT,
    status TEXT NOT NULL DEFAULT 'waiting'
        CHECK (status IN ('waiting', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_center ON outbox (center_id, status, id);
CREATE INDEX outbox_firm ON outbox (firm_id);
ALTER TABLE self_assessments ADD COLUMN notify_email TEXT;
ALTER TABLE self_assessments ADD COLUMN notify_consent_at TEXT;
ALTER TABLE self_assessments ADD COLUMN link_sealed TEXT;
CREATE INDEX self_assessments_notify ON self_assessments (notify_email COLLATE NOCASE);
