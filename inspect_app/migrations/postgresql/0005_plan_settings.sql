-- 0005 (PostgreSQL twin of ../0005_plan_settings.sql): a plan's settings (thiết lập), edited by the Sở
-- Nội vụ on the plan page. One row per key; a key without a row has the default its rule declares
-- (inspect_app/services/plan_settings.py). `version` lets an edit name the value it replaces.

CREATE TABLE plan_settings (
    plan_id BIGINT NOT NULL REFERENCES plans(id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    updated_by BIGINT REFERENCES users(id),
    PRIMARY KEY (plan_id, key)
);
