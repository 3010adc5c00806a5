-- Durable background jobs (DESIGN.md "Background work", docs/decisions.md "Background
-- jobs"): SLA timers, reminders and outbound messages. One row per logical job; `key`
-- names it (e.g. 'sla:<request>:<milestone>:warn'), so arming the same job twice is a
-- no-op. Workers claim due rows with a lease (`locked_by`, `locked_until`); a running job
-- whose lease ran out is claimable again. Instants are fixed-width UTC text.
CREATE TABLE jobs (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    key           TEXT NOT NULL UNIQUE,
    payload       TEXT NOT NULL,
    due_at        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'parked')),
    attempts      BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts  BIGINT NOT NULL CHECK (max_attempts >= 1),
    last_error    TEXT,
    locked_by     TEXT,
    locked_until  TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    finished_at   TEXT
);
-- Claiming: due pending jobs in due order, and running ones whose lease ran out. Also the
-- admins' list by status.
CREATE INDEX jobs_status_due ON jobs(status, due_at);
