-- the dashboard costs what it shows: cohort fits kept per diagnosis, a version per center, one shared cache
-- Each decided diagnosis's place in a cohort suggestion (services/cohorts.py): its first
-- confirmed PBL theme (NULL: none, not a candidate), the quarter it wants to start in (NULL:
-- any) and the trainees the planner would send. Computed once per diagnosis by the service
-- and dropped by the triggers below whenever what it was computed from changes; ``basis``
-- names what else it depends on (the theme corpus, the roadmap data's revision).
CREATE TABLE cohort_fits (
    assessment_id INTEGER PRIMARY KEY REFERENCES assessments(id) ON DELETE CASCADE,
    basis TEXT NOT NULL,
    theme TEXT,
    start_window TEXT,
    trainees INTEGER
);
CREATE TRIGGER cohort_fits_decision_insert AFTER INSERT ON decisions
BEGIN
    DELETE FROM cohort_fits WHERE assessment_id = NEW.assessment_id;
END;
CREATE TRIGGER cohort_fits_decision_update AFTER UPDATE ON decisions
BEGIN
    DELETE FROM cohort_fits WHERE assessment_id IN (OLD.assessment_id, NEW.assessment_id);
END;
CREATE TRIGGER cohort_fits_decision_delete AFTER DELETE ON decisions
BEGIN
    DELETE FROM cohort_fits WHERE assessment_id = OLD.assessment_id;
END;
CREATE TRIGGER cohort_fits_theme_insert AFTER INSERT ON assessment_themes
BEGIN
    DELETE FROM cohort_fits WHERE assessment_id = NEW.assessment_id;
END;
CREATE TRIGGER cohort_fits_theme_update AFTER UPDATE ON assessment_themes
BEGIN
    DELETE FROM cohort_fits WHERE assessment_id IN (OLD.assessment_id, NEW.assessment_id);
END;
CREATE TRIGGER cohort_fits_theme_delete AFTER DELETE ON assessment_themes
BEGIN
    DELETE FROM cohort_fits WHERE assessment_id = OLD.assessment_id;
END;
CREATE TRIGGER cohort_fits_reading_insert AFTER INSERT ON task_readings
BEGIN
    DELETE FROM cohort_fits WHERE assessment_id = NEW.assessment_id;
END;
CREATE TRIGGER cohort_fits_reading_update AFTER UPDATE ON task_readings
BEGIN
    DELETE FROM cohort_fits WHERE assessment_id IN (OLD.assessment_id, NEW.assessment_id);
END;
CREATE TRIGGER cohort_fits_reading_delete AFTER DELETE ON task_readings
BEGIN
    DELETE FROM cohort_fits WHERE assessment_id = OLD.assessment_id;
END;
CREATE TRIGGER cohort_fits_answer_insert AFTER INSERT ON answers
BEGIN
    DELETE FROM cohort_fits WHERE assessment_id = NEW.assessment_id;
END;
CREATE TRIGGER cohort_fits_answer_update AFTER UPDATE OF value ON answers
BEGIN
    DELETE FROM cohort_fits WHERE assessment_id IN (OLD.assessment_id, NEW.assessment_id);
END;
CREATE TRIGGER cohort_fits_answer_delete AFTER DELETE ON answers
BEGIN
    DELETE FROM cohort_fits WHERE assessment_id = OLD.assessment_id;
END;
CREATE TRIGGER cohort_fits_assessment_update
AFTER UPDATE OF profile, status, submitted_at, firm_id ON assessments
BEGIN
    DELETE FROM cohort_fits WHERE assessment_id = NEW.id;
END;
-- The dashboard's aggregates as last computed, shared by every worker: one row per center
-- and filters in use (the service keeps at most a few hundred), valid while the center's
-- version is the one it was computed at and for a minute at most.
CREATE TABLE dashboard_kept (
    key TEXT PRIMARY KEY,
    center_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    made_at REAL NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX dashboard_kept_made ON dashboard_kept (made_at);
-- A version per center, raised by every change of what the dashboard's aggregates count
-- (firms, their latest state, decisions, predictions, cohort fits and cohorts): the key of
-- the shared cache below, one primary-key read per view. An autosave changes none of it.
CREATE TABLE center_versions (
    center_id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL
);
CREATE TRIGGER center_versions_firm_insert AFTER INSERT ON firms
BEGIN
    INSERT INTO center_versions (center_id, version) VALUES (NEW.center_id, 1)
        ON CONFLICT (center_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER center_versions_firm_update AFTER UPDATE ON firms
WHEN OLD.updated_at IS NOT NEW.updated_at OR OLD.center_id IS NOT NEW.center_id
    OR OLD.assigned_to IS NOT NEW.assigned_to OR OLD.erased_at IS NOT NEW.erased_at
    OR OLD.name IS NOT NEW.name OR OLD.industry IS NOT NEW.industry
    OR OLD.employees IS NOT NEW.employees OR OLD.region IS NOT NEW.region
BEGIN
    INSERT INTO center_versions (center_id, version) VALUES (OLD.center_id, 1)
        ON CONFLICT (center_id) DO UPDATE SET version = version + 1;
    INSERT INTO center_versions (center_id, version) VALUES (NEW.center_id, 1)
        ON CONFLICT (center_id) DO UPDATE SET version = version + 1;
    -- an erased firm's name and contact leave the kept figures at once, not when replaced
    DELETE FROM dashboard_kept WHERE OLD.erased_at IS NOT NEW.erased_at
        AND center_id IN (OLD.center_id, NEW.center_id);
END;
CREATE TRIGGER center_versions_firm_delete AFTER DELETE ON firms
BEGIN
    INSERT INTO center_versions (center_id, version) VALUES (OLD.center_id, 1)
        ON CONFLICT (center_id) DO UPDATE SET version = version + 1;
    DELETE FROM dashboard_kept WHERE center_id = OLD.center_id;
END;
CREATE TRIGGER center_versions_latest_insert AFTER INSERT ON firm_latest
BEGIN
    INSERT INTO center_versions (center_id, version)
        SELECT center_id, 1 FROM firms WHERE id = NEW.firm_id
        ON CONFLICT (center_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER center_versions_latest_update AFTER UPDATE ON firm_latest
WHEN OLD.draft_id IS NOT NEW.draft_id OR OLD.diagnosed_id IS NOT NEW.diagnosed_id
    OR OLD.diagnosed_at IS NOT NEW.diagnosed_at OR OLD.track IS NOT NEW.track
    OR OLD.readiness IS NOT NEW.readiness OR OLD.submitted IS NOT NEW.submitted
    OR OLD.by_consultant IS NOT NEW.by_consultant OR OLD.requested IS NOT NEW.requested
    OR OLD.training_started IS NOT NEW.training_started
BEGIN
    INSERT INTO center_versions (center_id, version)
        SELECT center_id, 1 FROM firms WHERE id = NEW.firm_id
        ON CONFLICT (center_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER center_versions_decision_insert AFTER INSERT ON decisions
BEGIN
    INSERT INTO center_versions (center_id, version)
        SELECT f.center_id, 1 FROM assessments a JOIN firms f ON f.id = a.firm_id
        WHERE a.id = NEW.assessment_id
        ON CONFLICT (center_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER center_versions_decision_change AFTER UPDATE ON decisions
BEGIN
    INSERT INTO center_versions (center_id, version)
        SELECT f.center_id, 1 FROM assessments a JOIN firms f ON f.id = a.firm_id
        WHERE a.id = NEW.assessment_id
        ON CONFLICT (center_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER center_versions_decision_delete AFTER DELETE ON decisions
BEGIN
    INSERT INTO center_versions (center_id, version)
        SELECT f.center_id, 1 FROM assessments a JOIN firms f ON f.id = a.firm_id
        WHERE a.id = OLD.assessment_id
        ON CONFLICT (center_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER center_versions_prediction_insert AFTER INSERT ON predictions
BEGIN
    INSERT INTO center_versions (center_id, version)
        SELECT f.center_id, 1 FROM assessments a JOIN firms f ON f.id = a.firm_id
        WHERE a.id = NEW.assessment_id
        ON CONFLICT (center_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER center_versions_prediction_delete AFTER DELETE ON predictions
BEGIN
    INSERT INTO center_versions (center_id, version)
        SELECT f.center_id, 1 FROM assessments a JOIN firms f ON f.id = a.firm_id
        WHERE a.id = OLD.assessment_id
        ON CONFLICT (center_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER center_versions_assessment_based_on AFTER UPDATE OF based_on ON assessments
BEGIN
    INSERT INTO center_versions (center_id, version)
        SELECT center_id, 1 FROM firms WHERE id = NEW.firm_id
        ON CONFLICT (center_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER center_versions_fit_insert AFTER INSERT ON cohort_fits
BEGIN
    INSERT INTO center_versions (center_id, version)
        SELECT f.center_id, 1 FROM assessments a JOIN firms f ON f.id = a.firm_id
        WHERE a.id = NEW.assessment_id
        ON CONFLICT (center_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER center_versions_fit_delete AFTER DELETE ON cohort_fits
BEGIN
    INSERT INTO center_versions (center_id, version)
        SELECT f.center_id, 1 FROM assessments a JOIN firms f ON f.id = a.firm_id
        WHERE a.id = OLD.assessment_id
        ON CONFLICT (center_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER center_versions_cohort_insert AFTER INSERT ON cohorts
BEGIN
    INSERT INTO center_versions (center_id, version) VALUES (NEW.center_id, 1)
        ON CONFLICT (center_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER center_versions_cohort_update AFTER UPDATE ON cohorts
BEGIN
    INSERT INTO center_versions (center_id, version) VALUES (NEW.center_id, 1)
        ON CONFLICT (center_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER center_versions_member_insert AFTER INSERT ON cohort_members
BEGIN
    INSERT INTO center_versions (center_id, version)
        SELECT center_id, 1 FROM cohorts WHERE id = NEW.cohort_id
        ON CONFLICT (center_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER center_versions_member_update AFTER UPDATE ON cohort_members
BEGIN
    INSERT INTO center_versions (center_id, version)
        SELECT center_id, 1 FROM cohorts WHERE id = NEW.cohort_id
        ON CONFLICT (center_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER center_versions_member_delete AFTER DELETE ON cohort_members
BEGIN
    INSERT INTO center_versions (center_id, version)
        SELECT center_id, 1 FROM cohorts WHERE id = OLD.cohort_id
        ON CONFLICT (center_id) DO UPDATE SET version = version + 1;
END;
-- The requests merged into one (the answering counts each request once): by index, not a
-- pass over every request for each of the center's requests.
CREATE INDEX consultant_requests_merged ON consultant_requests (merged_into)
    WHERE merged_into IS NOT NULL;
