-- 0001: the whole data model of an inspection: units, plans, teams, users, visits, findings,
-- evidence, remediation and the audit log. Later migrations add; this file is never edited.
-- Times are ISO-8601 UTC text ("2026-11-23T08:00:00Z"); dates are "YYYY-MM-DD".

CREATE TABLE provinces (
    code TEXT PRIMARY KEY CHECK (length(code) = 2),        -- "31" (QĐ 19/2025/QĐ-TTg)
    name TEXT NOT NULL                                     -- "Thành phố Hải Phòng", NFC
);

CREATE TABLE units (
    code TEXT PRIMARY KEY,             -- official 5-digit commune code ("11560"), or a department's code
    name TEXT NOT NULL,                -- official name, NFC, spelled as published
    search_key TEXT NOT NULL,          -- name folded (no diacritics, đ→d, lower case) for search
    kind TEXT NOT NULL CHECK (kind IN ('xa', 'phuong', 'dac_khu', 'so_nganh')),
    province_code TEXT NOT NULL REFERENCES provinces(code),
    valid_from TEXT,                   -- effective dating: names and kinds change, codes do not
    valid_to TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX units_province ON units(province_code, kind);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    full_name TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',    -- chức vụ, printed in minutes and signature blocks
    role TEXT NOT NULL CHECK (role IN ('admin', 'lead', 'inspector', 'unit')),
    unit_code TEXT REFERENCES units(code),
    password_hash TEXT,                -- argon2id; NULL = cannot log in with a password
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL,
    CHECK ((role = 'unit') = (unit_code IS NOT NULL))     -- a unit officer belongs to exactly one unit
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,       -- sha256 of the cookie value: a stolen database holds no live cookie
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    ip TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);

CREATE TABLE plans (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL,              -- số, ký hiệu: "33/KH-UBND"
    issued_on TEXT NOT NULL,           -- ngày ban hành
    issuer TEXT NOT NULL,              -- "UBND thành phố Hải Phòng"
    province_code TEXT REFERENCES provinces(code),
    title TEXT NOT NULL,               -- trích yếu
    legal_basis TEXT NOT NULL DEFAULT '',
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    remediation_days INTEGER NOT NULL DEFAULT 30,   -- default deadline of remediation items
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    UNIQUE (number, issued_on),
    CHECK (period_start <= period_end)
);

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plans(id),
    name TEXT NOT NULL,                -- "Đoàn kiểm tra số 1"
    decision_number TEXT NOT NULL DEFAULT '',   -- the decision forming the team: "272/QĐ-UBND"
    decision_date TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (plan_id, name)
);

CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    role TEXT NOT NULL CHECK (role IN ('truong_doan', 'pho_doan', 'thanh_vien', 'thu_ky')),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members(user_id);

CREATE TABLE checklist_versions (
    id INTEGER PRIMARY KEY,
    checklist_id TEXT NOT NULL,        -- stable id across versions: "cchc-xa"
    version_hash TEXT NOT NULL,        -- content hash: identifies the version
    version_label TEXT NOT NULL,       -- "2026.1", as written in the file
    title TEXT NOT NULL,
    item_count INTEGER NOT NULL,
    max_points REAL NOT NULL,
    content_json BLOB NOT NULL,        -- the decoded checklist; old visits render from this for ever
    source_path TEXT NOT NULL DEFAULT '',
    first_loaded_at TEXT NOT NULL,
    UNIQUE (checklist_id, version_hash)
);

CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plans(id),
    unit_code TEXT NOT NULL REFERENCES units(code),
    team_id INTEGER NOT NULL REFERENCES teams(id),
    scheduled_on TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'scheduled' CHECK (kind IN ('scheduled', 'surprise')),
    checklist_id TEXT NOT NULL,
    checklist_version TEXT NOT NULL,   -- pinned version hash
    status TEXT NOT NULL DEFAULT 'planned'
        CHECK (status IN ('planned', 'in_progress', 'submitted', 'signed_off', 'amended')),
    started_at TEXT,
    submitted_at TEXT,
    signed_off_at TEXT,
    signed_off_by INTEGER REFERENCES users(id),
    remarks TEXT NOT NULL DEFAULT '',  -- nhận xét chung
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    FOREIGN KEY (checklist_id, checklist_version) REFERENCES checklist_versions(checklist_id, version_hash)
);
CREATE INDEX visits_plan ON visits(plan_id, scheduled_on);
CREATE INDEX visits_team ON visits(team_id, scheduled_on);
CREATE INDEX visits_unit ON visits(unit_code);

CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    visit_id INTEGER NOT NULL REFERENCES visits(id),
    item_code TEXT NOT NULL,
    answer_json TEXT NOT NULL,         -- the Answer struct (choice / number / ratio / text / na)
    points REAL,                       -- computed by the scoring engine when saved
    note TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    updated_by INTEGER NOT NULL REFERENCES users(id),
    UNIQUE (visit_id, item_code)
);

-- Every saved version of a finding is kept (ODK keeps every submission version).
CREATE TABLE finding_history (
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    version INTEGER NOT NULL,
    answer_json TEXT NOT NULL,
    points REAL,
    note TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    saved_by INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (finding_id, version)
);

-- A repeated write (flaky network) returns the original result instead of writing twice.
CREATE TABLE idempotency_keys (
    key TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    request_hash TEXT NOT NULL,        -- sha256 of method, path and canonical payload
    status_code INTEGER NOT NULL,
    response_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);

CREATE TABLE remediation_items (
    id INTEGER PRIMARY KEY,
    visit_id INTEGER NOT NULL REFERENCES visits(id),
    finding_id INTEGER REFERENCES findings(id),
    unit_code TEXT NOT NULL REFERENCES units(code),
    item_code TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    deadline TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'returned', 'accepted')),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    closed_at TEXT
);
CREATE INDEX remediation_unit ON remediation_items(unit_code, status);
CREATE INDEX remediation_visit ON remediation_items(visit_id);

-- The thread on an item: the unit's answers (draft, then submitted) and the reviewers' decisions.
CREATE TABLE remediation_responses (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES remediation_items(id),
    kind TEXT NOT NULL CHECK (kind IN ('answer', 'accept', 'return')),
    state TEXT NOT NULL DEFAULT 'submitted' CHECK (state IN ('draft', 'submitted')),
    text TEXT NOT NULL DEFAULT '',
    author_id INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    submitted_at TEXT
);
CREATE INDEX remediation_responses_item ON remediation_responses(item_id);

-- Evidence files, content-addressed on disk outside static/; a row belongs to one owner.
CREATE TABLE evidence_files (
    id INTEGER PRIMARY KEY,
    finding_id INTEGER REFERENCES findings(id),
    response_id INTEGER REFERENCES remediation_responses(id),
    visit_id INTEGER REFERENCES visits(id),
    sha256 TEXT NOT NULL,              -- of the bytes received, kept unchanged
    media_type TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('photo', 'document')),
    original_name TEXT NOT NULL DEFAULT '',   -- shown to people, never used as a path
    size_bytes INTEGER NOT NULL,
    width INTEGER,
    height INTEGER,
    captured_at TEXT,                  -- EXIF claim, not fact
    metadata_json TEXT NOT NULL DEFAULT '{}',
    uploaded_by INTEGER NOT NULL REFERENCES users(id),
    uploaded_at TEXT NOT NULL,
    deleted_at TEXT,
    CHECK ((finding_id IS NOT NULL) + (response_id IS NOT NULL) = 1)
);
CREATE INDEX evidence_finding ON evidence_files(finding_id);
CREATE INDEX evidence_response ON evidence_files(response_id);

-- Append-only audit log; each row chains the previous row's hash, so an edit shows.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id INTEGER REFERENCES users(id),
    actor TEXT NOT NULL,               -- username at the time, or "system"/"cli"
    action TEXT NOT NULL,              -- "user.create", "visit.status", …
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    ip TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_subject ON audit_log(subject_type, subject_id);
CREATE INDEX audit_actor ON audit_log(actor_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
