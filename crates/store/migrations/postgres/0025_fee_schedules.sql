-- Fee schedules (issue 15, R-FEE-2, docs/charges.md): each version of the schedule is a
-- row, in force from `effective_from` (a local date, `YYYY-MM-DD`) until a later version
-- takes over. `body_json` holds the domain's `FeeSchedule` as JSON; the app checks it before
-- writing and again when reading. Versions are append-only: the past is never rewritten
-- (`append_only()` comes from 0008).
CREATE TABLE fee_schedule_versions (
    id               TEXT PRIMARY KEY,
    number           BIGINT NOT NULL UNIQUE CHECK (number > 0),
    effective_from   TEXT NOT NULL CHECK (length(effective_from) = 10),
    body_json        TEXT NOT NULL,
    note             TEXT,
    created_by       TEXT,
    created_by_name  TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX fee_schedule_versions_effective ON fee_schedule_versions(effective_from, created_at);
CREATE TRIGGER fee_schedule_versions_no_change BEFORE UPDATE OR DELETE ON fee_schedule_versions
    FOR EACH ROW EXECUTE FUNCTION append_only();
