-- API tokens that expire and can be revoked; result links that expire
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN revoked_at TEXT;
ALTER TABLE assessments ADD COLUMN result_expires_at TEXT;
-- what was handed out before lasts the default 90 days from then, not for ever
UPDATE api_tokens
    SET expires_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', created_at, '+90 days');
UPDATE assessments
    SET result_expires_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', submitted_at, '+90 days')
    WHERE result_token_hash IS NOT NULL;
