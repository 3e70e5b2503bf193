-- A database as the release with migrations 1-23 (kept as SQL strings in storage.py) left it,
-- dumped with sqlite3's iterdump: its schema and its schema_migrations rows.
BEGIN TRANSACTION;
CREATE TABLE answers (
            assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
            item_id TEXT NOT NULL,
            value TEXT,
            note TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL, carried_from INTEGER REFERENCES assessments(id),
            PRIMARY KEY (assessment_id, item_id)
        );
CREATE TABLE api_tokens (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            token_hash TEXT NOT NULL UNIQUE,
            label TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            last_used_at TEXT
        , expires_at TEXT, revoked_at TEXT);
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
            submitted_at TEXT, source TEXT NOT NULL DEFAULT 'consultant', result_token_hash TEXT, result_expires_at TEXT, based_on INTEGER REFERENCES assessments(id),
            FOREIGN KEY (questionnaire_id, questionnaire_version)
                REFERENCES questionnaire_versions (questionnaire_id, version)
        );
CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            center_id INTEGER REFERENCES centers(id),
            user_id INTEGER REFERENCES users(id),
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            target_id INTEGER,
            detail TEXT NOT NULL DEFAULT ''
        );
CREATE TABLE batch_items (
            batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            position INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'rendering', 'done', 'failed')),
            cache_key TEXT,
            error TEXT,
            started_at TEXT,
            finished_at TEXT,
            PRIMARY KEY (batch_id, assessment_id)
        );
CREATE TABLE batches (
            id INTEGER PRIMARY KEY,
            center_id INTEGER REFERENCES centers(id),
            created_by INTEGER REFERENCES users(id),
            lang TEXT NOT NULL,
            format TEXT NOT NULL CHECK (format IN ('zip', 'pdf')),
            filters TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'assembling', 'done', 'failed')),
            total INTEGER NOT NULL,
            file TEXT,
            error TEXT,
            created_at TEXT NOT NULL,
            finished_at TEXT
        );
CREATE TABLE catalogue_modules (
            id TEXT PRIMARY KEY,
            position INTEGER NOT NULL,
            data TEXT NOT NULL,
            file_digest TEXT,
            edited_by INTEGER REFERENCES users(id),
            edited_at TEXT,
            updated_at TEXT NOT NULL
        );
CREATE TABLE centers (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            region TEXT NOT NULL,
            created_at TEXT NOT NULL
        , phone TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '', address TEXT NOT NULL DEFAULT '');
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
CREATE TABLE decisions (
            id INTEGER PRIMARY KEY,
            assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
            prediction_id INTEGER NOT NULL REFERENCES predictions(id),
            predicted_track TEXT NOT NULL,
            final_track TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('confirm', 'override')),
            reason TEXT NOT NULL DEFAULT '',
            decided_by INTEGER NOT NULL REFERENCES users(id),
            decided_at TEXT NOT NULL
        );
CREATE TABLE "firms" (
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
        , assigned_to INTEGER REFERENCES users(id), assigned_at TEXT);
CREATE TABLE idempotency_keys (
            scope TEXT NOT NULL,
            key_hash TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
            result_token TEXT,
            created_at TEXT NOT NULL,
            PRIMARY KEY (scope, key_hash)
        );
CREATE TABLE login_sessions (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            ended_at TEXT
        );
CREATE TABLE predictions (
            id INTEGER PRIMARY KEY,
            assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
            model_version TEXT NOT NULL,
            track TEXT NOT NULL,
            probabilities TEXT NOT NULL,
            explanation TEXT NOT NULL,
            scores TEXT NOT NULL,
            readiness REAL,
            created_at TEXT NOT NULL
        );
CREATE TABLE questionnaire_versions (
            questionnaire_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            digest TEXT NOT NULL,
            definition TEXT NOT NULL,
            first_seen_at TEXT NOT NULL,
            PRIMARY KEY (questionnaire_id, version)
        );
CREATE TABLE registry_centers (
            id TEXT PRIMARY KEY,
            position INTEGER NOT NULL,
            data TEXT NOT NULL,
            sample INTEGER NOT NULL DEFAULT 0,
            file_digest TEXT,
            edited_by INTEGER REFERENCES users(id),
            edited_at TEXT,
            updated_at TEXT NOT NULL
        );
CREATE TABLE roadmap_revision (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            revision INTEGER NOT NULL
        );
INSERT INTO "roadmap_revision" VALUES(1,0);
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
INSERT INTO "schema_migrations" VALUES(1,'centers, users and firms','2026-11-30T09:00:00+00:00');
INSERT INTO "schema_migrations" VALUES(2,'questionnaire versions, assessments and answers','2026-11-30T09:00:00+00:00');
INSERT INTO "schema_migrations" VALUES(3,'predictions, consultant decisions, API tokens, self-assessment links','2026-11-30T09:00:00+00:00');
INSERT INTO "schema_migrations" VALUES(4,'login sessions kept on the server, so logging out ends them for good','2026-11-30T09:00:00+00:00');
INSERT INTO "schema_migrations" VALUES(5,'how a firm reaches its center and consultant (the report''s ''whom to call'')','2026-11-30T09:00:00+00:00');
INSERT INTO "schema_migrations" VALUES(6,'firms: self-assessed firms apart from a center''s own, erasure on request','2026-11-30T09:00:00+00:00');
INSERT INTO "schema_migrations" VALUES(7,'API tokens that expire and can be revoked; result links that expire','2026-11-30T09:00:00+00:00');
INSERT INTO "schema_migrations" VALUES(8,'idempotency keys of API submissions','2026-11-30T09:00:00+00:00');
INSERT INTO "schema_migrations" VALUES(9,'audit log: who viewed, changed or downloaded what (append-only)','2026-11-30T09:00:00+00:00');
INSERT INTO "schema_migrations" VALUES(10,'a self-assessed firm''s request for a consultant, in its regional center''s queue','2026-11-30T09:00:00+00:00');
INSERT INTO "schema_migrations" VALUES(11,'a draft started from earlier answers: a re-diagnosis, or the firm''s own self-assessment','2026-11-30T09:00:00+00:00');
INSERT INTO "schema_migrations" VALUES(12,'a firm owner''s self-assessment by secret link: the answers being given, then its result','2026-11-30T09:00:00+00:00');
INSERT INTO "schema_migrations" VALUES(20,'roles (administrator, center staff, consultant), firms assigned to a consultant','2026-11-30T09:00:00+00:00');
INSERT INTO "schema_migrations" VALUES(21,'training a firm took between two diagnoses (module, dates, hours)','2026-11-30T09:00:00+00:00');
INSERT INTO "schema_migrations" VALUES(22,'batch printing: a batch of reports rendered on the task queue, item by item','2026-11-30T09:00:00+00:00');
INSERT INTO "schema_migrations" VALUES(23,'the shared-center registry and the training catalogue kept in the database','2026-11-30T09:00:00+00:00');
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
CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            center_id INTEGER NOT NULL REFERENCES centers(id),
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            name TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL DEFAULT 'consultant',
            created_at TEXT NOT NULL
        , phone TEXT NOT NULL DEFAULT '', disabled_at TEXT);
CREATE INDEX assessments_firm ON assessments (firm_id, created_at);
CREATE INDEX assessments_center ON assessments (center_id, status);
CREATE INDEX predictions_assessment ON predictions (assessment_id, id);
CREATE INDEX decisions_assessment ON decisions (assessment_id, id);
CREATE UNIQUE INDEX assessments_result_token ON assessments (result_token_hash);
CREATE INDEX login_sessions_user ON login_sessions (user_id, ended_at);
CREATE INDEX firms_center_name ON firms (center_id, name);
CREATE UNIQUE INDEX firms_center_number ON firms (center_id, business_number)
            WHERE origin = 'center' AND erased_at IS NULL;
CREATE INDEX firms_peer_group ON firms (industry, employees);
CREATE INDEX audit_log_center ON audit_log (center_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE INDEX consultant_requests_center ON consultant_requests (center_id, status, id);
CREATE UNIQUE INDEX consultant_requests_open ON consultant_requests (assessment_id)
            WHERE status != 'closed';
CREATE INDEX self_assessments_expiry ON self_assessments (expires_at);
CREATE INDEX self_assessments_assessment ON self_assessments (assessment_id);
CREATE INDEX firms_assigned ON firms (assigned_to);
CREATE INDEX assessments_consultant ON assessments (consultant_id, firm_id);
CREATE TRIGGER users_role_insert BEFORE INSERT ON users
            WHEN NEW.role NOT IN ('administrator', 'center_staff', 'consultant')
            BEGIN SELECT RAISE(ABORT, 'unknown role'); END;
CREATE TRIGGER users_role_update BEFORE UPDATE OF role ON users
            WHEN NEW.role NOT IN ('administrator', 'center_staff', 'consultant')
            BEGIN SELECT RAISE(ABORT, 'unknown role'); END;
CREATE INDEX training_records_firm ON training_records (firm_id, started_on);
CREATE INDEX batch_items_status ON batch_items (batch_id, status);
COMMIT;
