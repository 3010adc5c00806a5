-- A filled service record (issue 13, docs/service-flow.md "What a filled record is"):
-- the engineer says "no parts" explicitly, and may mark fault cause and action as
-- completed at the center (reference 003). The center's completion is kept beside the
-- signed record (which never changes), one per record, append-only.
ALTER TABLE service_records ADD COLUMN no_parts BIGINT NOT NULL DEFAULT 0 CHECK (no_parts IN (0, 1));
ALTER TABLE service_records ADD COLUMN cause_at_center BIGINT NOT NULL DEFAULT 0 CHECK (cause_at_center IN (0, 1));

CREATE TABLE record_center_completions (
    work_order_id     TEXT PRIMARY KEY REFERENCES service_records(work_order_id),
    fault_cause_code  TEXT NOT NULL,
    diagnosis         TEXT,
    action_taken      TEXT NOT NULL,
    by_id             TEXT,
    by_name           TEXT NOT NULL,
    at                TEXT NOT NULL
);

CREATE TRIGGER record_center_completions_no_change BEFORE UPDATE OR DELETE ON record_center_completions
    FOR EACH ROW EXECUTE FUNCTION append_only();
