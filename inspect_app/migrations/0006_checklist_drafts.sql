-- 0006: checklists edited in the browser (Sở Nội vụ). A draft is a whole checklist being edited,
-- started from a published version; it is never offered to a visit. Publishing it adds a row to
-- checklist_versions (content-hashed like a file), which becomes the current version: the current
-- version of a checklist is the latest one published here, whether it came from a file or a browser.
-- `version` lets an edit name the draft it replaces (two people editing at once: the stale one is refused).

CREATE TABLE checklist_drafts (
    id INTEGER PRIMARY KEY,
    checklist_id TEXT NOT NULL,
    base_version TEXT NOT NULL,        -- the version hash the draft was started from
    content_json BLOB NOT NULL,        -- the Checklist being edited (may break the format's rules)
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users(id),
    updated_at TEXT NOT NULL,
    updated_by INTEGER NOT NULL REFERENCES users(id)
);
CREATE INDEX checklist_drafts_checklist ON checklist_drafts(checklist_id);

-- Who published a version in the browser (NULL: loaded from a file in checklists/).
ALTER TABLE checklist_versions ADD COLUMN published_by INTEGER REFERENCES users(id);
