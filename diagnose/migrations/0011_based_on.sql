-- a draft started from earlier answers: a re-diagnosis, or the firm's own self-assessment
ALTER TABLE assessments ADD COLUMN based_on INTEGER REFERENCES assessments(id);
ALTER TABLE answers ADD COLUMN carried_from INTEGER REFERENCES assessments(id);
