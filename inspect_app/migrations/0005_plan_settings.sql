-- 0005: a plan's settings (thiết lập), edited by the Sở Nội vụ on the plan page. One row per
-- key; a key without a row has the default its rule declares (inspect_app/services/plan_settings.py),
-- so a new setting needs no migration. `version` lets an edit name the value it replaces.

CREATE TABLE plan_settings (
    plan_id INTEGER NOT NULL REFERENCES plans(id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    PRIMARY KEY (plan_id, key)
) WITHOUT ROWID;
