-- no-transaction
-- Handing a job to another station or a partner (issue 13, defect 6, docs/service-flow.md
-- "When nobody may be sent"): the event kind `transferred`, and the unit a work order was
-- handed to (`work_orders.handed_to`), whose people's boards it moves to.
--
-- SQLite adds a value to a CHECK only by rebuilding the table, as in 0013 (foreign keys
-- off, which SQLite allows outside a transaction only: hence `no-transaction` above and the
-- explicit transaction below). Columns, indexes and triggers stay as they were.
PRAGMA foreign_keys = OFF;
BEGIN;

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
        'transferred')),
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

ALTER TABLE work_orders ADD COLUMN handed_to TEXT REFERENCES org_units(id);

COMMIT;
PRAGMA foreign_keys = ON;
