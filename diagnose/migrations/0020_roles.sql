-- roles (administrator, center staff, consultant), firms assigned to a consultant
UPDATE users SET role = 'center_staff' WHERE role = 'center_admin';
ALTER TABLE users ADD COLUMN disabled_at TEXT;
ALTER TABLE firms ADD COLUMN assigned_to INTEGER REFERENCES users(id);
ALTER TABLE firms ADD COLUMN assigned_at TEXT;
CREATE INDEX firms_assigned ON firms (assigned_to);
CREATE INDEX assessments_consultant ON assessments (consultant_id, firm_id);
CREATE TRIGGER users_role_insert BEFORE INSERT ON users
    WHEN NEW.role NOT IN ('administrator', 'center_staff', 'consultant')
    BEGIN SELECT RAISE(ABORT, 'unknown role'); END;
CREATE TRIGGER users_role_update BEFORE UPDATE OF role ON users
    WHEN NEW.role NOT IN ('administrator', 'center_staff', 'consultant')
    BEGIN SELECT RAISE(ABORT, 'unknown role'); END;
