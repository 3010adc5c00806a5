-- no-transaction
-- The typed event log (issue 12, docs/decisions.md "A typed request event log"): the event
-- kinds and the statuses an event records are closed vocabularies with a CHECK, as every
-- other status is; so are a waiting order's resume status and the SLA board's state and
-- milestone. The escalation ladder's entries keep facts only: the localized labels they
-- carried (`label`, `role`, `role_en`) go, and `to` becomes the list of the names told
-- (it was one text joined with "、").
--
-- SQLite adds a CHECK only by rebuilding the table (create the new one, copy, drop the old,
-- rename, recreate its indexes and triggers: https://sqlite.org/lang_altertable.html#otheralter).
-- work_orders is the parent of other tables' foreign keys, so the rebuild runs with foreign
-- keys off, which SQLite allows outside a transaction only: hence `no-transaction` above and
-- the explicit transaction below. Columns, foreign keys and indexes stay as they were.
PRAGMA foreign_keys = OFF;
BEGIN;

-- request_events: the kind and the statuses checked; the ladder's payloads cleaned.
CREATE TABLE request_events_new (
    id             TEXT PRIMARY KEY,
    request_id     TEXT NOT NULL REFERENCES service_requests(id),
    work_order_id  TEXT REFERENCES work_orders(id),
    at             TEXT NOT NULL,
    actor_id       TEXT,
    actor_name     TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN (
        'created', 'owner_changed', 'priority_changed', 'triaged_remote', 'triaged_onsite', 'remote_solved',
        'remote_failed', 'work_order_created', 'resolved', 'closed', 'work_order_cancelled', 'cancelled',
        'reopened', 'callback', 'alarm_received', 'alarm_merged', 'dispatched', 'reassigned',
        'accepted', 'declined', 'scheduled', 'rescheduled', 'en_route', 'arrived',
        'in_service', 'waiting', 'resumed', 'record_saved', 'photo_added', 'record_signed',
        'signature_declined', 'completed', 'follow_up_due', 'taken_to_depot', 'addendum', 'sla_warning',
        'sla_breached', 'sla_escalated', 'sla_acknowledged', 'emergency_plan_opened', 'loaner_proposed')),
    from_status    TEXT CHECK (from_status IN (
        'open', 'in_progress', 'resolved', 'closed', 'cancelled', 'pending',
        'dispatched', 'accepted', 'scheduled', 'en_route', 'arrived', 'in_service',
        'waiting', 'completed')),
    to_status      TEXT CHECK (to_status IN (
        'open', 'in_progress', 'resolved', 'closed', 'cancelled', 'pending',
        'dispatched', 'accepted', 'scheduled', 'en_route', 'arrived', 'in_service',
        'waiting', 'completed')),
    data           TEXT,
    latitude       DOUBLE PRECISION,
    longitude      DOUBLE PRECISION
);
INSERT INTO request_events_new (id, request_id, work_order_id, at, actor_id, actor_name, kind,
    from_status, to_status, data, latitude, longitude)
SELECT id, request_id, work_order_id, at, actor_id, actor_name, kind, from_status, to_status,
    CASE
        WHEN kind IN ('sla_breached', 'sla_escalated') AND json_type(data, '$.to') = 'text' THEN
            json_set(
                json_remove(data, '$.label', '$.role', '$.role_en'),
                '$.to',
                json(CASE
                    WHEN json_extract(data, '$.to') = '' THEN '[]'
                    ELSE '[' || replace(json_quote(json_extract(data, '$.to')), '、', '","') || ']'
                END))
        WHEN kind IN ('sla_warning', 'sla_breached', 'sla_escalated', 'sla_acknowledged',
                      'emergency_plan_opened', 'loaner_proposed') AND data IS NOT NULL THEN
            json_remove(data, '$.label', '$.role', '$.role_en')
        ELSE data
    END,
    latitude, longitude
FROM request_events;
DROP TABLE request_events;
ALTER TABLE request_events_new RENAME TO request_events;
CREATE INDEX request_events_request ON request_events(request_id, at, id);
CREATE INDEX request_events_work_order ON request_events(work_order_id, at);
CREATE TRIGGER request_events_no_update BEFORE UPDATE ON request_events
BEGIN
    SELECT RAISE(ABORT, 'request_events is append-only');
END;
CREATE TRIGGER request_events_no_delete BEFORE DELETE ON request_events
BEGIN
    SELECT RAISE(ABORT, 'request_events is append-only');
END;

-- work_orders: the status a waiting order resumes to is a work order status.
CREATE TABLE work_orders_new (
    id                 TEXT PRIMARY KEY,
    number             TEXT NOT NULL UNIQUE,
    request_id         TEXT NOT NULL REFERENCES service_requests(id),
    org_unit_id        TEXT REFERENCES org_units(id),
    engineer_id        TEXT REFERENCES users(id),
    status             TEXT NOT NULL CHECK (status IN ('pending', 'dispatched', 'accepted', 'scheduled', 'en_route', 'arrived', 'in_service', 'waiting', 'completed', 'cancelled')),
    waiting_reason     TEXT CHECK (waiting_reason IN ('customer', 'parts', 'quote_payment')),
    resume_status      TEXT CHECK (resume_status IN ('pending', 'dispatched', 'accepted', 'scheduled', 'en_route', 'arrived', 'in_service', 'waiting', 'completed', 'cancelled')),
    priority           TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    appointment_start  TEXT,
    appointment_end    TEXT,
    outcome            TEXT CHECK (outcome IN ('fixed', 'depot', 'not_fixed')),
    loaner_left        BIGINT NOT NULL DEFAULT 0 CHECK (loaner_left IN (0, 1)),
    created_at         TEXT NOT NULL,
    dispatched_at      TEXT,
    accepted_at        TEXT,
    en_route_at        TEXT,
    arrived_at         TEXT,
    started_at         TEXT,
    completed_at       TEXT,
    cancelled_at       TEXT,
    updated_at         TEXT NOT NULL,
    version            BIGINT NOT NULL DEFAULT 1
);
INSERT INTO work_orders_new (id, number, request_id, org_unit_id, engineer_id, status,
    waiting_reason, resume_status, priority, appointment_start, appointment_end, outcome,
    loaner_left, created_at, dispatched_at, accepted_at, en_route_at, arrived_at, started_at,
    completed_at, cancelled_at, updated_at, version)
SELECT id, number, request_id, org_unit_id, engineer_id, status,
    waiting_reason, resume_status, priority, appointment_start, appointment_end, outcome,
    loaner_left, created_at, dispatched_at, accepted_at, en_route_at, arrived_at, started_at,
    completed_at, cancelled_at, updated_at, version
FROM work_orders;
DROP TABLE work_orders;
ALTER TABLE work_orders_new RENAME TO work_orders;
CREATE INDEX work_orders_request ON work_orders(request_id);
CREATE INDEX work_orders_status ON work_orders(status, org_unit_id);
CREATE INDEX work_orders_engineer ON work_orders(engineer_id, status, appointment_start);
CREATE INDEX work_orders_completed ON work_orders(completed_at);
CREATE INDEX work_orders_status_number ON work_orders(status, number);
CREATE INDEX work_orders_status_appointment ON work_orders(status, appointment_start, engineer_id);

-- sla_status: the worst clock state and the next milestone are the domain's names.
CREATE TABLE sla_status_new (
    request_id      TEXT PRIMARY KEY REFERENCES service_requests(id),
    rule_id         TEXT,
    next_due_at     TEXT,
    next_milestone  TEXT CHECK (next_milestone IN ('response', 'arrival', 'diagnosis', 'resolution', 'loaner')),
    state           TEXT NOT NULL CHECK (state IN ('pending', 'running', 'paused', 'met', 'breached', 'not_required', 'cancelled')),
    open            BIGINT NOT NULL CHECK (open IN (0, 1)),
    clocks          TEXT NOT NULL,
    computed_at     TEXT NOT NULL
);
INSERT INTO sla_status_new (request_id, rule_id, next_due_at, next_milestone, state, open, clocks, computed_at)
SELECT request_id, rule_id, next_due_at, next_milestone, state, open, clocks, computed_at
FROM sla_status;
DROP TABLE sla_status;
ALTER TABLE sla_status_new RENAME TO sla_status;
CREATE INDEX sla_status_open ON sla_status(open, next_due_at);

COMMIT;
PRAGMA foreign_keys = ON;
