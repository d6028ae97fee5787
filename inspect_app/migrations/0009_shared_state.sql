-- 0009: state several `inspect-app serve` processes share (issue 20): nothing a request may need on
-- another node lives in one process's memory. Short-lived rows, pruned as they are written.

-- Failed logins per (username, IP) for the login throttle (services/auth.LoginThrottle): a row per
-- failure, those older than the throttle's window deleted on the next failure.
CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,           -- lower case, as typed
    ip TEXT NOT NULL,
    failed_at TEXT NOT NULL           -- UTC, ISO-8601
);
CREATE INDEX login_failures_key ON login_failures (username, ip, failed_at);
CREATE INDEX login_failures_at ON login_failures (failed_at);

-- Post/redirect/get notes (web/flash.py): a refused form's message and what was typed, named by the
-- random token in `?flash=`, readable only by the user who posted, for 15 minutes.
CREATE TABLE flash_notes (
    token TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL,         -- 0: nobody logged in (no user row: no foreign key)
    expires_at TEXT NOT NULL,         -- UTC, ISO-8601
    body_json TEXT NOT NULL
);
CREATE INDEX flash_notes_user ON flash_notes (user_id, expires_at);
CREATE INDEX flash_notes_expiry ON flash_notes (expires_at);

-- Background report renders (reports/jobs.py): the node running one writes its progress here, any node
-- answers the polling and the download; files under $INSPECT_DATA_DIR/reports/ (`path` relative to the
-- data folder). A running job whose heartbeat stops counts as failed.
CREATE TABLE report_jobs (
    id TEXT PRIMARY KEY,
    owner_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    key TEXT NOT NULL,                -- what the job renders (JSON): a second request for it joins this job
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 1,
    step TEXT NOT NULL DEFAULT '',
    filename TEXT NOT NULL DEFAULT '',
    path TEXT,                        -- relative to the data folder; NULL for an on-screen result
    error TEXT NOT NULL DEFAULT '',
    result BLOB,                      -- an on-screen result (msgpack), e.g. the assembled plan report
    created_at TEXT NOT NULL,
    finished_at TEXT,
    heartbeat_at TEXT NOT NULL
);
-- One running job per person and key, whichever node started it.
CREATE UNIQUE INDEX report_jobs_running ON report_jobs (owner_id, key) WHERE status = 'running';
CREATE INDEX report_jobs_reuse ON report_jobs (owner_id, key, finished_at);
CREATE INDEX report_jobs_finished ON report_jobs (finished_at);
