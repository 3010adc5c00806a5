-- Loaner units (备用机, issue 14 point 8; docs/loaners.md): the pool (`loaners`), each lending
-- to a customer against a service request (`loans`), and each loaner's append-only history
-- (`loaner_events`). The request's log gains the kinds `loaner_issued` and `loaner_returned`
-- (the first meets the request's "loaner by" milestone). The audit trail's entity `loaner`
-- and actions `issue` and `return` came with 0018.
--
-- Number 0018 is left to the parts catalog and stock ledger, built beside this one.

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
CREATE TRIGGER loaner_events_no_change BEFORE UPDATE OR DELETE ON loaner_events
    FOR EACH ROW EXECUTE FUNCTION append_only();

ALTER TABLE request_events DROP CONSTRAINT request_events_kind_check;
ALTER TABLE request_events ADD CONSTRAINT request_events_kind_check CHECK (kind IN (
        'created', 'owner_changed', 'priority_changed', 'triaged_remote', 'triaged_onsite', 'remote_solved',
        'remote_failed', 'work_order_created', 'resolved', 'closed', 'work_order_cancelled', 'cancelled',
        'reopened', 'callback', 'alarm_received', 'alarm_merged', 'dispatched', 'reassigned',
        'accepted', 'declined', 'scheduled', 'rescheduled', 'en_route', 'arrived',
        'in_service', 'waiting', 'resumed', 'record_saved', 'photo_added', 'record_signed',
        'signature_declined', 'completed', 'follow_up_due', 'taken_to_depot', 'addendum', 'sla_warning',
        'sla_breached', 'sla_escalated', 'sla_acknowledged', 'emergency_plan_opened', 'loaner_proposed',
        'transferred', 'loaner_issued', 'loaner_returned'));

