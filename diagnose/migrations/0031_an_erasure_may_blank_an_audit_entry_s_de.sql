-- an erasure may blank an audit entry's detail (the rest of the log stays append-only)
DROP TRIGGER audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    WHEN NOT (NEW.detail = '(erased)' AND NEW.id = OLD.id AND NEW.at = OLD.at
        AND NEW.center_id IS OLD.center_id AND NEW.user_id IS OLD.user_id
        AND NEW.actor = OLD.actor AND NEW.action = OLD.action
        AND NEW.target = OLD.target AND NEW.target_id IS OLD.target_id)
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
