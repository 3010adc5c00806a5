-- no-transaction
-- Charges (issue 15, docs/charges.md): the vocabulary first, so the charges tables that follow
-- (0025 fee schedules, 0026 quotes, 0027 payments and cash) write their trail and their
-- timeline events. The audit trail gains the entities `fee_schedule`, `quote`, `payment`,
-- `cash_handover` and the actions `confirm`, `decline`, `override`, `refund`, `invoice`,
-- `hand_over`; the request's log gains `quote_issued`, `quote_confirmed`, `quote_declined`,
-- `charges_overridden` (a manager let paid work go on, with a reason) and `payment_recorded`.
--
-- SQLite adds a value to a CHECK only by rebuilding the table, as in 0013, 0014, 0017, 0018
-- and 0019 (foreign keys off, outside a transaction: hence `no-transaction` above and the
-- explicit transaction below). Columns, indexes and triggers stay as they were.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE audit_log_new (
    id           TEXT PRIMARY KEY,
    at           TEXT NOT NULL,
    actor_id     TEXT,
    actor_name   TEXT NOT NULL,
    entity       TEXT NOT NULL CHECK (entity IN (
        'user', 'api_token', 'org_unit', 'certification', 'customer', 'unit', 'product',
        'warranty_policy', 'contract', 'service_request', 'work_order', 'sla_rule', 'calendar',
        'special_days', 'special_day', 'calendar_override', 'job', 'import_batch', 'part', 'supplier',
        'stock_location', 'stock_move', 'reorder_point', 'loaner',
        'requisition', 'shipment', 'defect_return', 'failure_code', 'stock_count',
        'fee_schedule', 'quote', 'payment', 'cash_handover')),
    entity_id    TEXT NOT NULL,
    action       TEXT NOT NULL CHECK (action IN (
        'create', 'update', 'import', 'put', 'delete', 'remove', 'disable', 'enable', 'login',
        'logout', 'change_password', 'reset_password', 'link_customer', 'set_contact',
        'set_regions', 'set_tier', 'transfer', 'add_version', 'revoke', 'retry', 'escalate', 'post',
        'issue', 'return', 'inspect', 'approve', 'reject', 'ship', 'receive', 'close', 'charge',
        'confirm', 'decline', 'override', 'refund', 'invoice', 'hand_over')),
    before_json  TEXT,
    after_json   TEXT,
    request_id   TEXT
);
INSERT INTO audit_log_new (id, at, actor_id, actor_name, entity, entity_id, action,
    before_json, after_json, request_id)
SELECT id, at, actor_id, actor_name, entity, entity_id, action, before_json, after_json,
    request_id
FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_log_actor ON audit_log(actor_id);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
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
        'transferred', 'loaner_issued', 'loaner_returned', 'quote_issued', 'quote_confirmed',
        'quote_declined', 'charges_overridden', 'payment_recorded')),
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
