-- 0004: the unit's self-assessment (tự đánh giá) beside the inspectors' findings, and evidence
-- that may belong to a self-assessed answer. evidence_files is rebuilt because SQLite cannot
-- change a CHECK constraint in place (the documented 12-step table rebuild).

CREATE TABLE self_assessments (
    id INTEGER PRIMARY KEY,
    visit_id INTEGER NOT NULL UNIQUE REFERENCES visits(id),
    deadline TEXT,                       -- set when the Sở Nội vụ opens a self-review campaign
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted')),
    opened_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    submitted_at TEXT,
    submitted_by INTEGER REFERENCES users(id)
);

CREATE TABLE self_answers (
    id INTEGER PRIMARY KEY,
    assessment_id INTEGER NOT NULL REFERENCES self_assessments(id),
    item_code TEXT NOT NULL,
    answer_json TEXT NOT NULL,
    points REAL,
    note TEXT NOT NULL DEFAULT '',      -- the unit's explanation
    version INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    updated_by INTEGER NOT NULL REFERENCES users(id),
    UNIQUE (assessment_id, item_code)
);

-- After submission a self-assessment is read-only, in the database itself.
CREATE TRIGGER self_answers_locked_insert BEFORE INSERT ON self_answers
WHEN (SELECT status FROM self_assessments WHERE id = NEW.assessment_id) = 'submitted'
BEGIN
    SELECT RAISE(ABORT, 'self-assessment submitted');
END;

CREATE TRIGGER self_answers_locked_update BEFORE UPDATE ON self_answers
WHEN (SELECT status FROM self_assessments WHERE id = OLD.assessment_id) = 'submitted'
BEGIN
    SELECT RAISE(ABORT, 'self-assessment submitted');
END;

CREATE TABLE evidence_files_new (
    id INTEGER PRIMARY KEY,
    finding_id INTEGER REFERENCES findings(id),
    response_id INTEGER REFERENCES remediation_responses(id),
    self_answer_id INTEGER REFERENCES self_answers(id),
    visit_id INTEGER REFERENCES visits(id),
    sha256 TEXT NOT NULL,
    media_type TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('photo', 'document')),
    original_name TEXT NOT NULL DEFAULT '',
    size_bytes INTEGER NOT NULL,
    width INTEGER,
    height INTEGER,
    captured_at TEXT,
    metadata_json TEXT NOT NULL DEFAULT '{}',
    uploaded_by INTEGER NOT NULL REFERENCES users(id),
    uploaded_at TEXT NOT NULL,
    deleted_at TEXT,
    caption TEXT NOT NULL DEFAULT '',
    item_code TEXT NOT NULL DEFAULT '',
    CHECK ((finding_id IS NOT NULL) + (response_id IS NOT NULL) + (self_answer_id IS NOT NULL) = 1)
);

INSERT INTO evidence_files_new (id, finding_id, response_id, visit_id, sha256, media_type, kind, original_name,
    size_bytes, width, height, captured_at, metadata_json, uploaded_by, uploaded_at, deleted_at, caption, item_code)
SELECT id, finding_id, response_id, visit_id, sha256, media_type, kind, original_name, size_bytes, width, height,
    captured_at, metadata_json, uploaded_by, uploaded_at, deleted_at, caption, item_code FROM evidence_files;

DROP TABLE evidence_files;
ALTER TABLE evidence_files_new RENAME TO evidence_files;
CREATE INDEX evidence_finding ON evidence_files(finding_id);
CREATE INDEX evidence_response ON evidence_files(response_id);
CREATE INDEX evidence_self_answer ON evidence_files(self_answer_id);
CREATE INDEX evidence_visit ON evidence_files(visit_id, item_code);
