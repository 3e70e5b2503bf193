-- the scorecard decides; the model's track is kept beside it in shadow
ALTER TABLE predictions ADD COLUMN decided_by TEXT NOT NULL DEFAULT 'model';
ALTER TABLE predictions ADD COLUMN shadow_track TEXT;
