-- 0003 (PostgreSQL twin of ../0003_remediation.sql): remediation follow-up: items may cover several
-- findings (merged), officers have an email address for reminders, and an answer's files hang on the response.

ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';

CREATE TABLE remediation_links (
    item_id BIGINT NOT NULL REFERENCES remediation_items(id),
    finding_id BIGINT NOT NULL REFERENCES findings(id),
    PRIMARY KEY (item_id, finding_id)
);

CREATE INDEX remediation_deadline ON remediation_items(status, deadline);
