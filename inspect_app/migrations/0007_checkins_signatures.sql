-- 0007: where and when a team started a visit (check-in), and the signatures of the minutes drawn on
-- the tablet. Both are append-only: a new check-in (a lead's, with a reason) or a replaced signature
-- is a new row; the latest row of a visit (of a party) is the one the minutes show.

CREATE TABLE visit_checkins (
    id INTEGER PRIMARY KEY,
    visit_id INTEGER NOT NULL REFERENCES visits(id),
    recorded_at TEXT NOT NULL,             -- the server's clock, UTC
    recorded_by INTEGER NOT NULL REFERENCES users(id),
    lat REAL CHECK (lat IS NULL OR lat BETWEEN -90 AND 90),
    lon REAL CHECK (lon IS NULL OR lon BETWEEN -180 AND 180),
    accuracy_m REAL CHECK (accuracy_m IS NULL OR accuracy_m >= 0),
    declined INTEGER NOT NULL DEFAULT 0 CHECK (declined IN (0, 1)),
    reason TEXT NOT NULL DEFAULT '',       -- required for every check-in after the first
    CHECK (declined = 1 OR (lat IS NOT NULL AND lon IS NOT NULL))
);
CREATE INDEX visit_checkins_visit ON visit_checkins(visit_id, id);

CREATE TABLE visit_signatures (
    id INTEGER PRIMARY KEY,
    visit_id INTEGER NOT NULL REFERENCES visits(id),
    party TEXT NOT NULL CHECK (party IN ('lead', 'unit')),
    name TEXT NOT NULL,
    position TEXT NOT NULL DEFAULT '',
    signed_at TEXT NOT NULL,               -- the server's clock, UTC
    signed_by INTEGER NOT NULL REFERENCES users(id),   -- whose session carried it (the tablet's)
    content_sha256 TEXT NOT NULL,          -- services/minutes_content.canonical_sha256 at that moment
    png_sha256 TEXT NOT NULL,              -- of the stored (re-encoded) image
    png_path TEXT NOT NULL,                -- relative to the evidence root
    reason TEXT NOT NULL DEFAULT ''        -- required when it replaces the party's earlier signature
);
CREATE INDEX visit_signatures_visit ON visit_signatures(visit_id, party, id);

CREATE TRIGGER visit_checkins_append_only BEFORE UPDATE ON visit_checkins
BEGIN
    SELECT RAISE(ABORT, 'visit_checkins is append-only');
END;
CREATE TRIGGER visit_checkins_no_delete BEFORE DELETE ON visit_checkins
BEGIN
    SELECT RAISE(ABORT, 'visit_checkins is append-only');
END;
CREATE TRIGGER visit_signatures_append_only BEFORE UPDATE ON visit_signatures
BEGIN
    SELECT RAISE(ABORT, 'visit_signatures is append-only');
END;
CREATE TRIGGER visit_signatures_no_delete BEFORE DELETE ON visit_signatures
BEGIN
    SELECT RAISE(ABORT, 'visit_signatures is append-only');
END;
