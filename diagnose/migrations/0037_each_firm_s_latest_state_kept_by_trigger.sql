-- each firm's latest state kept by triggers; indexes for the latest diagnosis and draft
CREATE TABLE firm_latest (
    firm_id INTEGER PRIMARY KEY,
    draft_id INTEGER,
    diagnosed_id INTEGER,
    diagnosed_at TEXT,
    track TEXT,
    readiness REAL,
    last_activity TEXT,
    submitted INTEGER NOT NULL DEFAULT 0,
    by_consultant INTEGER NOT NULL DEFAULT 0,
    requested INTEGER NOT NULL DEFAULT 0,
    training_started TEXT
);
CREATE INDEX assessments_firm_submitted ON assessments (firm_id, submitted_at, id)
    WHERE status = 'submitted';
CREATE INDEX assessments_firm_draft ON assessments (firm_id, updated_at, id)
    WHERE status = 'draft';
CREATE INDEX consultant_requests_firm_status ON consultant_requests (firm_id, status);
INSERT INTO firm_latest (firm_id)
    SELECT DISTINCT firm_id FROM assessments
    UNION SELECT firm_id FROM training_records
    UNION SELECT firm_id FROM consultant_requests;

UPDATE firm_latest SET
    draft_id = (SELECT a.id FROM assessments a WHERE a.firm_id = firm_latest.firm_id
                AND a.status = 'draft' ORDER BY a.updated_at DESC, a.id DESC LIMIT 1),
    diagnosed_id = (SELECT a.id FROM assessments a WHERE a.firm_id = firm_latest.firm_id
                AND a.status = 'submitted' ORDER BY a.submitted_at DESC, a.id DESC LIMIT 1),
    last_activity = (SELECT MAX(COALESCE(a.submitted_at, a.updated_at)) FROM assessments a
                WHERE a.firm_id = firm_latest.firm_id),
    submitted = (SELECT COUNT(*) FROM assessments a WHERE a.firm_id = firm_latest.firm_id
                AND a.status = 'submitted'),
    by_consultant = (SELECT COUNT(*) FROM assessments a WHERE a.firm_id = firm_latest.firm_id
                AND a.status = 'submitted' AND a.source != 'self')
;
UPDATE firm_latest SET
    diagnosed_at = (SELECT a.submitted_at FROM assessments a
                WHERE a.id = firm_latest.diagnosed_id),
    track = COALESCE(
        (SELECT d.final_track FROM decisions d
         WHERE d.assessment_id = firm_latest.diagnosed_id ORDER BY d.id DESC LIMIT 1),
        (SELECT p.track FROM predictions p
         WHERE p.assessment_id = firm_latest.diagnosed_id ORDER BY p.id DESC LIMIT 1)),
    readiness = (SELECT p.readiness FROM predictions p
                WHERE p.assessment_id = firm_latest.diagnosed_id
                ORDER BY p.id DESC LIMIT 1)
;UPDATE firm_latest SET
    requested = EXISTS (SELECT 1 FROM consultant_requests r WHERE r.firm_id = firm_latest.firm_id
                AND r.status = 'new'),
    training_started = (SELECT MAX(t.started_on) FROM training_records t
                WHERE t.firm_id = firm_latest.firm_id)
;
CREATE TRIGGER firm_latest_assessment_insert AFTER INSERT ON assessments
BEGIN
    INSERT INTO firm_latest (firm_id) SELECT NEW.firm_id WHERE NEW.firm_id IS NOT NULL
        ON CONFLICT DO NOTHING;

UPDATE firm_latest SET
    draft_id = (SELECT a.id FROM assessments a WHERE a.firm_id = NEW.firm_id
                AND a.status = 'draft' ORDER BY a.updated_at DESC, a.id DESC LIMIT 1),
    diagnosed_id = (SELECT a.id FROM assessments a WHERE a.firm_id = NEW.firm_id
                AND a.status = 'submitted' ORDER BY a.submitted_at DESC, a.id DESC LIMIT 1),
    last_activity = (SELECT MAX(COALESCE(a.submitted_at, a.updated_at)) FROM assessments a
                WHERE a.firm_id = NEW.firm_id),
    submitted = (SELECT COUNT(*) FROM assessments a WHERE a.firm_id = NEW.firm_id
                AND a.status = 'submitted'),
    by_consultant = (SELECT COUNT(*) FROM assessments a WHERE a.firm_id = NEW.firm_id
                AND a.status = 'submitted' AND a.source != 'self')
WHERE firm_id = NEW.firm_id;
UPDATE firm_latest SET
    diagnosed_at = (SELECT a.submitted_at FROM assessments a
                WHERE a.id = firm_latest.diagnosed_id),
    track = COALESCE(
        (SELECT d.final_track FROM decisions d
         WHERE d.assessment_id = firm_latest.diagnosed_id ORDER BY d.id DESC LIMIT 1),
        (SELECT p.track FROM predictions p
         WHERE p.assessment_id = firm_latest.diagnosed_id ORDER BY p.id DESC LIMIT 1)),
    readiness = (SELECT p.readiness FROM predictions p
                WHERE p.assessment_id = firm_latest.diagnosed_id
                ORDER BY p.id DESC LIMIT 1)
WHERE firm_id = NEW.firm_id;UPDATE firm_latest SET
    requested = EXISTS (SELECT 1 FROM consultant_requests r WHERE r.firm_id = NEW.firm_id
                AND r.status = 'new'),
    training_started = (SELECT MAX(t.started_on) FROM training_records t
                WHERE t.firm_id = NEW.firm_id)
WHERE firm_id = NEW.firm_id;
END;
CREATE TRIGGER firm_latest_predictions_insert AFTER INSERT ON predictions
BEGIN
    INSERT INTO firm_latest (firm_id) SELECT (SELECT firm_id FROM assessments WHERE id = NEW.assessment_id) WHERE (SELECT firm_id FROM assessments WHERE id = NEW.assessment_id) IS NOT NULL
        ON CONFLICT DO NOTHING;
    UPDATE firm_latest SET
    diagnosed_at = (SELECT a.submitted_at FROM assessments a
                WHERE a.id = firm_latest.diagnosed_id),
    track = COALESCE(
        (SELECT d.final_track FROM decisions d
         WHERE d.assessment_id = firm_latest.diagnosed_id ORDER BY d.id DESC LIMIT 1),
        (SELECT p.track FROM predictions p
         WHERE p.assessment_id = firm_latest.diagnosed_id ORDER BY p.id DESC LIMIT 1)),
    readiness = (SELECT p.readiness FROM predictions p
                WHERE p.assessment_id = firm_latest.diagnosed_id
                ORDER BY p.id DESC LIMIT 1)
WHERE firm_id = (SELECT firm_id FROM assessments WHERE id = NEW.assessment_id);
END;
CREATE TRIGGER firm_latest_decisions_insert AFTER INSERT ON decisions
BEGIN
    INSERT INTO firm_latest (firm_id) SELECT (SELECT firm_id FROM assessments WHERE id = NEW.assessment_id) WHERE (SELECT firm_id FROM assessments WHERE id = NEW.assessment_id) IS NOT NULL
        ON CONFLICT DO NOTHING;
    UPDATE firm_latest SET
    diagnosed_at = (SELECT a.submitted_at FROM assessments a
                WHERE a.id = firm_latest.diagnosed_id),
    track = COALESCE(
        (SELECT d.final_track FROM decisions d
         WHERE d.assessment_id = firm_latest.diagnosed_id ORDER BY d.id DESC LIMIT 1),
        (SELECT p.track FROM predictions p
         WHERE p.assessment_id = firm_latest.diagnosed_id ORDER BY p.id DESC LIMIT 1)),
    readiness = (SELECT p.readiness FROM predictions p
                WHERE p.assessment_id = firm_latest.diagnosed_id
                ORDER BY p.id DESC LIMIT 1)
WHERE firm_id = (SELECT firm_id FROM assessments WHERE id = NEW.assessment_id);
END;
CREATE TRIGGER firm_latest_training_records_insert AFTER INSERT ON training_records
BEGIN
    INSERT INTO firm_latest (firm_id) SELECT NEW.firm_id WHERE NEW.firm_id IS NOT NULL
        ON CONFLICT DO NOTHING;
    UPDATE firm_latest SET
    requested = EXISTS (SELECT 1 FROM consultant_requests r WHERE r.firm_id = NEW.firm_id
                AND r.status = 'new'),
    training_started = (SELECT MAX(t.started_on) FROM training_records t
                WHERE t.firm_id = NEW.firm_id)
WHERE firm_id = NEW.firm_id;
END;
CREATE TRIGGER firm_latest_consultant_requests_insert AFTER INSERT ON consultant_requests
BEGIN
    INSERT INTO firm_latest (firm_id) SELECT NEW.firm_id WHERE NEW.firm_id IS NOT NULL
        ON CONFLICT DO NOTHING;
    UPDATE firm_latest SET
    requested = EXISTS (SELECT 1 FROM consultant_requests r WHERE r.firm_id = NEW.firm_id
                AND r.status = 'new'),
    training_started = (SELECT MAX(t.started_on) FROM training_records t
                WHERE t.firm_id = NEW.firm_id)
WHERE firm_id = NEW.firm_id;
END;
CREATE TRIGGER firm_latest_assessment_delete AFTER DELETE ON assessments
BEGIN
    INSERT INTO firm_latest (firm_id) SELECT OLD.firm_id WHERE OLD.firm_id IS NOT NULL
        ON CONFLICT DO NOTHING;

UPDATE firm_latest SET
    draft_id = (SELECT a.id FROM assessments a WHERE a.firm_id = OLD.firm_id
                AND a.status = 'draft' ORDER BY a.updated_at DESC, a.id DESC LIMIT 1),
    diagnosed_id = (SELECT a.id FROM assessments a WHERE a.firm_id = OLD.firm_id
                AND a.status = 'submitted' ORDER BY a.submitted_at DESC, a.id DESC LIMIT 1),
    last_activity = (SELECT MAX(COALESCE(a.submitted_at, a.updated_at)) FROM assessments a
                WHERE a.firm_id = OLD.firm_id),
    submitted = (SELECT COUNT(*) FROM assessments a WHERE a.firm_id = OLD.firm_id
                AND a.status = 'submitted'),
    by_consultant = (SELECT COUNT(*) FROM assessments a WHERE a.firm_id = OLD.firm_id
                AND a.status = 'submitted' AND a.source != 'self')
WHERE firm_id = OLD.firm_id;
UPDATE firm_latest SET
    diagnosed_at = (SELECT a.submitted_at FROM assessments a
                WHERE a.id = firm_latest.diagnosed_id),
    track = COALESCE(
        (SELECT d.final_track FROM decisions d
         WHERE d.assessment_id = firm_latest.diagnosed_id ORDER BY d.id DESC LIMIT 1),
        (SELECT p.track FROM predictions p
         WHERE p.assessment_id = firm_latest.diagnosed_id ORDER BY p.id DESC LIMIT 1)),
    readiness = (SELECT p.readiness FROM predictions p
                WHERE p.assessment_id = firm_latest.diagnosed_id
                ORDER BY p.id DESC LIMIT 1)
WHERE firm_id = OLD.firm_id;UPDATE firm_latest SET
    requested = EXISTS (SELECT 1 FROM consultant_requests r WHERE r.firm_id = OLD.firm_id
                AND r.status = 'new'),
    training_started = (SELECT MAX(t.started_on) FROM training_records t
                WHERE t.firm_id = OLD.firm_id)
WHERE firm_id = OLD.firm_id;
END;
CREATE TRIGGER firm_latest_predictions_delete AFTER DELETE ON predictions
BEGIN
    INSERT INTO firm_latest (firm_id) SELECT (SELECT firm_id FROM assessments WHERE id = OLD.assessment_id) WHERE (SELECT firm_id FROM assessments WHERE id = OLD.assessment_id) IS NOT NULL
        ON CONFLICT DO NOTHING;
    UPDATE firm_latest SET
    diagnosed_at = (SELECT a.submitted_at FROM assessments a
                WHERE a.id = firm_latest.diagnosed_id),
    track = COALESCE(
        (SELECT d.final_track FROM decisions d
         WHERE d.assessment_id = firm_latest.diagnosed_id ORDER BY d.id DESC LIMIT 1),
        (SELECT p.track FROM predictions p
         WHERE p.assessment_id = firm_latest.diagnosed_id ORDER BY p.id DESC LIMIT 1)),
    readiness = (SELECT p.readiness FROM predictions p
                WHERE p.assessment_id = firm_latest.diagnosed_id
                ORDER BY p.id DESC LIMIT 1)
WHERE firm_id = (SELECT firm_id FROM assessments WHERE id = OLD.assessment_id);
END;
CREATE TRIGGER firm_latest_decisions_delete AFTER DELETE ON decisions
BEGIN
    INSERT INTO firm_latest (firm_id) SELECT (SELECT firm_id FROM assessments WHERE id = OLD.assessment_id) WHERE (SELECT firm_id FROM assessments WHERE id = OLD.assessment_id) IS NOT NULL
        ON CONFLICT DO NOTHING;
    UPDATE firm_latest SET
    diagnosed_at = (SELECT a.submitted_at FROM assessments a
                WHERE a.id = firm_latest.diagnosed_id),
    track = COALESCE(
        (SELECT d.final_track FROM decisions d
         WHERE d.assessment_id = firm_latest.diagnosed_id ORDER BY d.id DESC LIMIT 1),
        (SELECT p.track FROM predictions p
         WHERE p.assessment_id = firm_latest.diagnosed_id ORDER BY p.id DESC LIMIT 1)),
    readiness = (SELECT p.readiness FROM predictions p
                WHERE p.assessment_id = firm_latest.diagnosed_id
                ORDER BY p.id DESC LIMIT 1)
WHERE firm_id = (SELECT firm_id FROM assessments WHERE id = OLD.assessment_id);
END;
CREATE TRIGGER firm_latest_training_records_delete AFTER DELETE ON training_records
BEGIN
    INSERT INTO firm_latest (firm_id) SELECT OLD.firm_id WHERE OLD.firm_id IS NOT NULL
        ON CONFLICT DO NOTHING;
    UPDATE firm_latest SET
    requested = EXISTS (SELECT 1 FROM consultant_requests r WHERE r.firm_id = OLD.firm_id
                AND r.status = 'new'),
    training_started = (SELECT MAX(t.started_on) FROM training_records t
                WHERE t.firm_id = OLD.firm_id)
WHERE firm_id = OLD.firm_id;
END;
CREATE TRIGGER firm_latest_consultant_requests_delete AFTER DELETE ON consultant_requests
BEGIN
    INSERT INTO firm_latest (firm_id) SELECT OLD.firm_id WHERE OLD.firm_id IS NOT NULL
        ON CONFLICT DO NOTHING;
    UPDATE firm_latest SET
    requested = EXISTS (SELECT 1 FROM consultant_requests r WHERE r.firm_id = OLD.firm_id
                AND r.status = 'new'),
    training_started = (SELECT MAX(t.started_on) FROM training_records t
                WHERE t.firm_id = OLD.firm_id)
WHERE firm_id = OLD.firm_id;
END;
CREATE TRIGGER firm_latest_assessment_update AFTER UPDATE OF firm_id, status, submitted_at, updated_at, source ON assessments
BEGIN
    INSERT INTO firm_latest (firm_id) SELECT NEW.firm_id WHERE NEW.firm_id IS NOT NULL
        ON CONFLICT DO NOTHING;

UPDATE firm_latest SET
    draft_id = (SELECT a.id FROM assessments a WHERE a.firm_id = NEW.firm_id
                AND a.status = 'draft' ORDER BY a.updated_at DESC, a.id DESC LIMIT 1),
    diagnosed_id = (SELECT a.id FROM assessments a WHERE a.firm_id = NEW.firm_id
                AND a.status = 'submitted' ORDER BY a.submitted_at DESC, a.id DESC LIMIT 1),
    last_activity = (SELECT MAX(COALESCE(a.submitted_at, a.updated_at)) FROM assessments a
                WHERE a.firm_id = NEW.firm_id),
    submitted = (SELECT COUNT(*) FROM assessments a WHERE a.firm_id = NEW.firm_id
                AND a.status = 'submitted'),
    by_consultant = (SELECT COUNT(*) FROM assessments a WHERE a.firm_id = NEW.firm_id
                AND a.status = 'submitted' AND a.source != 'self')
WHERE firm_id = NEW.firm_id;
UPDATE firm_latest SET
    diagnosed_at = (SELECT a.submitted_at FROM assessments a
                WHERE a.id = firm_latest.diagnosed_id),
    track = COALESCE(
        (SELECT d.final_track FROM decisions d
         WHERE d.assessment_id = firm_latest.diagnosed_id ORDER BY d.id DESC LIMIT 1),
        (SELECT p.track FROM predictions p
         WHERE p.assessment_id = firm_latest.diagnosed_id ORDER BY p.id DESC LIMIT 1)),
    readiness = (SELECT p.readiness FROM predictions p
                WHERE p.assessment_id = firm_latest.diagnosed_id
                ORDER BY p.id DESC LIMIT 1)
WHERE firm_id = NEW.firm_id;UPDATE firm_latest SET
    requested = EXISTS (SELECT 1 FROM consultant_requests r WHERE r.firm_id = NEW.firm_id
                AND r.status = 'new'),
    training_started = (SELECT MAX(t.started_on) FROM training_records t
                WHERE t.firm_id = NEW.firm_id)
WHERE firm_id = NEW.firm_id;
END;
CREATE TRIGGER firm_latest_assessment_move AFTER UPDATE OF firm_id ON assessments WHEN OLD.firm_id IS NOT NEW.firm_id
BEGIN
    INSERT INTO firm_latest (firm_id) SELECT OLD.firm_id WHERE OLD.firm_id IS NOT NULL
        ON CONFLICT DO NOTHING;

UPDATE firm_latest SET
    draft_id = (SELECT a.id FROM assessments a WHERE a.firm_id = OLD.firm_id
                AND a.status = 'draft' ORDER BY a.updated_at DESC, a.id DESC LIMIT 1),
    diagnosed_id = (SELECT a.id FROM assessments a WHERE a.firm_id = OLD.firm_id
                AND a.status = 'submitted' ORDER BY a.submitted_at DESC, a.id DESC LIMIT 1),
    last_activity = (SELECT MAX(COALESCE(a.submitted_at, a.updated_at)) FROM assessments a
                WHERE a.firm_id = OLD.firm_id),
    submitted = (SELECT COUNT(*) FROM assessments a WHERE a.firm_id = OLD.firm_id
                AND a.status = 'submitted'),
    by_consultant = (SELECT COUNT(*) FROM assessments a WHERE a.firm_id = OLD.firm_id
                AND a.status = 'submitted' AND a.source != 'self')
WHERE firm_id = OLD.firm_id;
UPDATE firm_latest SET
    diagnosed_at = (SELECT a.submitted_at FROM assessments a
                WHERE a.id = firm_latest.diagnosed_id),
    track = COALESCE(
        (SELECT d.final_track FROM decisions d
         WHERE d.assessment_id = firm_latest.diagnosed_id ORDER BY d.id DESC LIMIT 1),
        (SELECT p.track FROM predictions p
         WHERE p.assessment_id = firm_latest.diagnosed_id ORDER BY p.id DESC LIMIT 1)),
    readiness = (SELECT p.readiness FROM predictions p
                WHERE p.assessment_id = firm_latest.diagnosed_id
                ORDER BY p.id DESC LIMIT 1)
WHERE firm_id = OLD.firm_id;UPDATE firm_latest SET
    requested = EXISTS (SELECT 1 FROM consultant_requests r WHERE r.firm_id = OLD.firm_id
                AND r.status = 'new'),
    training_started = (SELECT MAX(t.started_on) FROM training_records t
                WHERE t.firm_id = OLD.firm_id)
WHERE firm_id = OLD.firm_id;
END;
CREATE TRIGGER firm_latest_predictions_update AFTER UPDATE OF track, readiness, assessment_id ON predictions
BEGIN
    INSERT INTO firm_latest (firm_id) SELECT (SELECT firm_id FROM assessments WHERE id = NEW.assessment_id) WHERE (SELECT firm_id FROM assessments WHERE id = NEW.assessment_id) IS NOT NULL
        ON CONFLICT DO NOTHING;
    UPDATE firm_latest SET
    diagnosed_at = (SELECT a.submitted_at FROM assessments a
                WHERE a.id = firm_latest.diagnosed_id),
    track = COALESCE(
        (SELECT d.final_track FROM decisions d
         WHERE d.assessment_id = firm_latest.diagnosed_id ORDER BY d.id DESC LIMIT 1),
        (SELECT p.track FROM predictions p
         WHERE p.assessment_id = firm_latest.diagnosed_id ORDER BY p.id DESC LIMIT 1)),
    readiness = (SELECT p.readiness FROM predictions p
                WHERE p.assessment_id = firm_latest.diagnosed_id
                ORDER BY p.id DESC LIMIT 1)
WHERE firm_id = (SELECT firm_id FROM assessments WHERE id = NEW.assessment_id);
END;
CREATE TRIGGER firm_latest_decisions_update AFTER UPDATE OF final_track, assessment_id ON decisions
BEGIN
    INSERT INTO firm_latest (firm_id) SELECT (SELECT firm_id FROM assessments WHERE id = NEW.assessment_id) WHERE (SELECT firm_id FROM assessments WHERE id = NEW.assessment_id) IS NOT NULL
        ON CONFLICT DO NOTHING;
    UPDATE firm_latest SET
    diagnosed_at = (SELECT a.submitted_at FROM assessments a
                WHERE a.id = firm_latest.diagnosed_id),
    track = COALESCE(
        (SELECT d.final_track FROM decisions d
         WHERE d.assessment_id = firm_latest.diagnosed_id ORDER BY d.id DESC LIMIT 1),
        (SELECT p.track FROM predictions p
         WHERE p.assessment_id = firm_latest.diagnosed_id ORDER BY p.id DESC LIMIT 1)),
    readiness = (SELECT p.readiness FROM predictions p
                WHERE p.assessment_id = firm_latest.diagnosed_id
                ORDER BY p.id DESC LIMIT 1)
WHERE firm_id = (SELECT firm_id FROM assessments WHERE id = NEW.assessment_id);
END;
CREATE TRIGGER firm_latest_training_records_update_new AFTER UPDATE OF started_on, firm_id ON training_records
BEGIN
    INSERT INTO firm_latest (firm_id) SELECT NEW.firm_id WHERE NEW.firm_id IS NOT NULL
        ON CONFLICT DO NOTHING;
    UPDATE firm_latest SET
    requested = EXISTS (SELECT 1 FROM consultant_requests r WHERE r.firm_id = NEW.firm_id
                AND r.status = 'new'),
    training_started = (SELECT MAX(t.started_on) FROM training_records t
                WHERE t.firm_id = NEW.firm_id)
WHERE firm_id = NEW.firm_id;
END;
CREATE TRIGGER firm_latest_training_records_update_old AFTER UPDATE OF started_on, firm_id ON training_records
BEGIN
    INSERT INTO firm_latest (firm_id) SELECT OLD.firm_id WHERE OLD.firm_id IS NOT NULL
        ON CONFLICT DO NOTHING;
    UPDATE firm_latest SET
    requested = EXISTS (SELECT 1 FROM consultant_requests r WHERE r.firm_id = OLD.firm_id
                AND r.status = 'new'),
    training_started = (SELECT MAX(t.started_on) FROM training_records t
                WHERE t.firm_id = OLD.firm_id)
WHERE firm_id = OLD.firm_id;
END;
CREATE TRIGGER firm_latest_consultant_requests_update_new AFTER UPDATE OF status, firm_id ON consultant_requests
BEGIN
    INSERT INTO firm_latest (firm_id) SELECT NEW.firm_id WHERE NEW.firm_id IS NOT NULL
        ON CONFLICT DO NOTHING;
    UPDATE firm_latest SET
    requested = EXISTS (SELECT 1 FROM consultant_requests r WHERE r.firm_id = NEW.firm_id
                AND r.status = 'new'),
    training_started = (SELECT MAX(t.started_on) FROM training_records t
                WHERE t.firm_id = NEW.firm_id)
WHERE firm_id = NEW.firm_id;
END;
CREATE TRIGGER firm_latest_consultant_requests_update_old AFTER UPDATE OF status, firm_id ON consultant_requests
BEGIN
    INSERT INTO firm_latest (firm_id) SELECT OLD.firm_id WHERE OLD.firm_id IS NOT NULL
        ON CONFLICT DO NOTHING;
    UPDATE firm_latest SET
    requested = EXISTS (SELECT 1 FROM consultant_requests r WHERE r.firm_id = OLD.firm_id
                AND r.status = 'new'),
    training_started = (SELECT MAX(t.started_on) FROM training_records t
                WHERE t.firm_id = OLD.firm_id)
WHERE firm_id = OLD.firm_id;
END;
