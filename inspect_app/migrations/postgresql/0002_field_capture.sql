-- 0002 (PostgreSQL twin of ../0002_field_capture.sql): field capture: captions on evidence, amendment
-- reasons, the unit's representative, and findings of a signed-off visit locked in the database itself.

ALTER TABLE evidence_files ADD COLUMN caption TEXT NOT NULL DEFAULT '';
ALTER TABLE evidence_files ADD COLUMN item_code TEXT NOT NULL DEFAULT '';
ALTER TABLE finding_history ADD COLUMN reason TEXT NOT NULL DEFAULT '';   -- set on amendments
ALTER TABLE visits ADD COLUMN unit_representative TEXT NOT NULL DEFAULT '';
ALTER TABLE visits ADD COLUMN submitted_by BIGINT REFERENCES users(id);

CREATE INDEX evidence_visit ON evidence_files(visit_id, item_code);

-- After sign-off a finding changes only through an amendment: the history row carrying the
-- reason for the new version must exist before the update, in the same transaction.
CREATE FUNCTION findings_locked_after_sign_off() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT status FROM visits WHERE id = NEW.visit_id) IN ('signed_off', 'amended')
       AND NOT EXISTS (SELECT 1 FROM finding_history h
                       WHERE h.finding_id = NEW.id AND h.version = NEW.version AND h.reason <> '') THEN
        RAISE EXCEPTION 'finding locked: visit signed off' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER findings_locked_after_sign_off BEFORE UPDATE ON findings
    FOR EACH ROW EXECUTE FUNCTION findings_locked_after_sign_off();

-- A new answer on a signed-off visit is an amendment too: only an empty placeholder row may be
-- inserted, which the amendment then updates.
CREATE FUNCTION findings_no_new_answers_after_sign_off() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT status FROM visits WHERE id = NEW.visit_id) IN ('signed_off', 'amended')
       AND NEW.answer_json <> '{}' THEN
        RAISE EXCEPTION 'finding locked: visit signed off' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER findings_no_new_answers_after_sign_off BEFORE INSERT ON findings
    FOR EACH ROW EXECUTE FUNCTION findings_no_new_answers_after_sign_off();

CREATE TRIGGER finding_history_append_only BEFORE UPDATE ON finding_history
    FOR EACH ROW EXECUTE FUNCTION inspect_refuse('finding_history is append-only');
