-- no-transaction
-- Loaner units (备用机, issue 14 point 8; docs/loaners.md): the pool (`loaners`), each lending
-- to a customer against a service request (`loans`), and each loaner's append-only history
-- (`loaner_events`). The request's log gains the kinds `loaner_issued` and `loaner_returned`
-- (the first meets the request's "loaner by" milestone). The audit trail's entity `loaner`
-- and actions `issue` and `return` came with 0018.
--
-- SQLite adds a value to a CHECK only by rebuilding the table, as in 0013, 0014 and 0017
-- (foreign keys off, which SQLite allows outside a transaction only: hence `no-transaction`
-- above and the explicit transaction below). Columns, indexes and triggers stay as they were.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE loaners (
    id             TEXT PRIMARY KEY,
    serial         TEXT NOT NULL UNIQUE CHECK (length(serial) BETWEEN 1 AND 40),
    model          TEXT NOT NULL CHECK (length(model) BETWEEN 1 AND 100),
    owner_unit_id  TEXT NOT NULL REFERENCES org_units(id),
    status         TEXT NOT NULL CHECK (status IN ('available', 'on_loan', 'in_repair', 'retired')),
    accessories    TEXT NOT NULL,
    note           TEXT,
    version        BIGINT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX loaners_owner ON loaners(owner_unit_id, status, serial);
CREATE INDEX loaners_status ON loaners(status, serial);

-- A loan is written when the loaner goes out and completed once when it comes back.
CREATE TABLE loans (
    id                     TEXT PRIMARY KEY,
    loaner_id              TEXT NOT NULL REFERENCES loaners(id),
    request_id             TEXT NOT NULL REFERENCES service_requests(id),
    customer_id            TEXT NOT NULL REFERENCES customers(id),
    issued_at              TEXT NOT NULL,
    issued_by              TEXT,
    issued_by_name         TEXT NOT NULL,
    expected_return        TEXT NOT NULL CHECK (length(expected_return) = 10),
    note                   TEXT,
    returned_at            TEXT,
    returned_by            TEXT,
    returned_by_name       TEXT,
    condition              TEXT CHECK (condition IN ('good', 'damaged', 'unusable')),
    accessories_complete   BIGINT CHECK (accessories_complete IN (0, 1)),
    inspection_note        TEXT,
    overdue_alert_sent_at  TEXT
);
-- At most one loan of a loaner is out at a time.
CREATE UNIQUE INDEX loans_one_open ON loans(loaner_id) WHERE returned_at IS NULL;
CREATE INDEX loans_loaner ON loans(loaner_id, issued_at);
CREATE INDEX loans_request ON loans(request_id, issued_at);
CREATE INDEX loans_open_due ON loans(expected_return) WHERE returned_at IS NULL;

CREATE TABLE loaner_events (
    id          TEXT PRIMARY KEY,
    loaner_id   TEXT NOT NULL REFERENCES loaners(id),
    loan_id     TEXT REFERENCES loans(id),
    at          TEXT NOT NULL,
    actor_id    TEXT,
    actor_name  TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('registered', 'issued', 'returned', 'overdue_alerted', 'repaired',
        'retired')),
    data        TEXT
);
CREATE INDEX loaner_events_loaner ON loaner_events(loaner_id, at, id);
CREATE TRIGGER loaner_events_no_update BEFORE UPDATE ON loaner_events
BEGIN
    SELECT RAISE(ABORT, 'loaner_events is append-only');
END;
CREATE TRIGGER loaner_events_no_delete BEFORE DELETE ON loaner_events
BEGIN
    SELECT RAISE(ABORT, 'loaner_events is append-only');
END;

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
        'sla_breached', 'sla_escalated', 'sla_acknowledged', 'emergency_plan_opened', 'loaner_proposed',
        'transferred', 'loaner_issued', 'loaner_returned')),
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
    data, latitude, longitude
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


COMMIT;
PRAGMA foreign_keys = ON;
