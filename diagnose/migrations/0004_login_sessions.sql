-- login sessions kept on the server, so logging out ends them for good
CREATE TABLE login_sessions (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE INDEX login_sessions_user ON login_sessions (user_id, ended_at);
