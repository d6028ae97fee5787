-- 0003: remediation follow-up: items may cover several findings (merged), officers have an email
-- address for reminders, and an answer's files hang on the response.

ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';

CREATE TABLE remediation_links (
    item_id INTEGER NOT NULL REFERENCES remediation_items(id),
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    PRIMARY KEY (item_id, finding_id)
);

CREATE INDEX remediation_deadline ON remediation_items(status, deadline);
