-- The central flow (issue 4, docs/service-flow.md): service requests (报修单), their work
-- orders (派工单), appointments, service records with signatures, photos, addenda, device
-- alarms, daily call-backs, and the event log every timeline, SLA clock and KPI reads.
-- Instants are fixed-width UTC text, dates 'YYYY-MM-DD', flags 0/1.

-- Customers of the portal: a `customer` user acts for one customer record.
ALTER TABLE users ADD COLUMN customer_id TEXT REFERENCES customers(id);
CREATE INDEX users_customer ON users(customer_id);

-- Symptom (故障现象) and fault cause (故障原因) codes, per product line or for all ('').
CREATE TABLE catalog_codes (
    kind          TEXT NOT NULL CHECK (kind IN ('symptom', 'cause')),
    code          TEXT NOT NULL,
    product_line  TEXT NOT NULL DEFAULT '',
    name_zh       TEXT NOT NULL,
    name_en       TEXT NOT NULL,
    active        BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    PRIMARY KEY (kind, code)
);

CREATE TABLE service_requests (
    id                 TEXT PRIMARY KEY,
    number             TEXT NOT NULL UNIQUE,
    customer_id        TEXT NOT NULL REFERENCES customers(id),
    unit_id            TEXT REFERENCES units(id),
    kind               TEXT NOT NULL CHECK (kind IN ('repair', 'installation', 'maintenance', 'inspection', 'consultation', 'return_exchange', 'complaint')),
    channel            TEXT NOT NULL CHECK (channel IN ('phone', 'fax', 'email', 'portal', 'onsite', 'partner', 'api', 'alarm')),
    priority           TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    status             TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'resolved', 'closed', 'cancelled')),
    triage             TEXT CHECK (triage IN ('remote', 'onsite')),
    symptom_code       TEXT,
    symptom            TEXT NOT NULL,
    customer_request   TEXT,
    contact_name       TEXT NOT NULL,
    contact_phone      TEXT NOT NULL,
    site_id            TEXT REFERENCES customer_sites(id),
    address            TEXT NOT NULL,
    region_code        TEXT,
    latitude           DOUBLE PRECISION,
    longitude          DOUBLE PRECISION,
    preferred_from     TEXT,
    preferred_to       TEXT,
    -- The warranty decision at intake (R-WAR-3): class and flag for lists, the whole
    -- decision as JSON for the record.
    warranty_class     TEXT CHECK (warranty_class IN ('A', 'B', 'C')),
    in_warranty        BIGINT CHECK (in_warranty IN (0, 1)),
    warranty_json      TEXT,
    -- The responsible unit (R-ORG-1) and the one owner (R-REQ-3).
    org_unit_id        TEXT REFERENCES org_units(id),
    owner_id           TEXT NOT NULL REFERENCES users(id),
    reopened_from      TEXT REFERENCES service_requests(id),
    follow_up_due_at   TEXT,
    external_ref       TEXT,
    created_by         TEXT REFERENCES users(id),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    resolved_at        TEXT,
    closed_at          TEXT,
    version            BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX service_requests_created ON service_requests(created_at, id);
CREATE INDEX service_requests_status ON service_requests(status, created_at, id);
CREATE INDEX service_requests_customer ON service_requests(customer_id, created_at);
CREATE INDEX service_requests_unit ON service_requests(unit_id, status);
CREATE INDEX service_requests_org ON service_requests(org_unit_id, status, created_at);
CREATE INDEX service_requests_owner ON service_requests(owner_id, status);
CREATE INDEX service_requests_reopened ON service_requests(reopened_from);

CREATE TABLE work_orders (
    id                 TEXT PRIMARY KEY,
    number             TEXT NOT NULL UNIQUE,
    request_id         TEXT NOT NULL REFERENCES service_requests(id),
    org_unit_id        TEXT REFERENCES org_units(id),
    engineer_id        TEXT REFERENCES users(id),
    status             TEXT NOT NULL CHECK (status IN ('pending', 'dispatched', 'accepted', 'scheduled', 'en_route', 'arrived', 'in_service', 'waiting', 'completed', 'cancelled')),
    waiting_reason     TEXT CHECK (waiting_reason IN ('customer', 'parts', 'quote_payment')),
    resume_status      TEXT,
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
CREATE INDEX work_orders_request ON work_orders(request_id);
CREATE INDEX work_orders_status ON work_orders(status, org_unit_id);
CREATE INDEX work_orders_engineer ON work_orders(engineer_id, status, appointment_start);
CREATE INDEX work_orders_completed ON work_orders(completed_at);

-- Every change of a request or one of its work orders: who, when, from, to, why. Append-
-- only; the timeline, the SLA clocks and the KPIs read it. Ids are UUIDv7 (time-ordered).
CREATE TABLE request_events (
    id             TEXT PRIMARY KEY,
    request_id     TEXT NOT NULL REFERENCES service_requests(id),
    work_order_id  TEXT REFERENCES work_orders(id),
    at             TEXT NOT NULL,
    actor_id       TEXT,
    actor_name     TEXT NOT NULL,
    kind           TEXT NOT NULL,
    from_status    TEXT,
    to_status      TEXT,
    data           TEXT,
    latitude       DOUBLE PRECISION,
    longitude      DOUBLE PRECISION
);
CREATE INDEX request_events_request ON request_events(request_id, at, id);
CREATE INDEX request_events_work_order ON request_events(work_order_id, at);

-- Appointment windows as agreed, first and every change (R-DSP-2: every reschedule keeps
-- its reason and whether the customer agreed). The current window is on the work order.
CREATE TABLE appointments (
    id               TEXT PRIMARY KEY,
    work_order_id    TEXT NOT NULL REFERENCES work_orders(id),
    starts_at        TEXT NOT NULL,
    ends_at          TEXT NOT NULL,
    reason           TEXT,
    customer_agreed  BIGINT NOT NULL CHECK (customer_agreed IN (0, 1)),
    by_id            TEXT,
    by_name          TEXT NOT NULL,
    at               TEXT NOT NULL
);
CREATE INDEX appointments_work_order ON appointments(work_order_id, at);

-- The service record of a visit (R-DSP-7). Once signed (or signing declined) it is
-- locked: corrections are addenda.
CREATE TABLE service_records (
    work_order_id              TEXT PRIMARY KEY REFERENCES work_orders(id),
    fault_cause_code           TEXT,
    diagnosis                  TEXT,
    action_taken               TEXT,
    notes                      TEXT,
    parts_json                 TEXT NOT NULL DEFAULT '[]',
    labor_minutes              BIGINT,
    test_run_done              BIGINT CHECK (test_run_done IN (0, 1)),
    follow_up_due_at           TEXT,
    customer_trained           BIGINT CHECK (customer_trained IN (0, 1)),
    rating_quality             BIGINT CHECK (rating_quality BETWEEN 1 AND 5),
    rating_attitude            BIGINT CHECK (rating_attitude BETWEEN 1 AND 5),
    signature_png              BLOB,
    signer_name                TEXT,
    signature_declined_reason  TEXT,
    signed_at                  TEXT,
    content_hash               TEXT,
    version                    BIGINT NOT NULL DEFAULT 1,
    updated_at                 TEXT NOT NULL
);

CREATE TABLE record_addenda (
    id             TEXT PRIMARY KEY,
    work_order_id  TEXT NOT NULL REFERENCES service_records(work_order_id),
    body           TEXT NOT NULL,
    by_id          TEXT,
    by_name        TEXT NOT NULL,
    at             TEXT NOT NULL
);
CREATE INDEX record_addenda_work_order ON record_addenda(work_order_id, at);

CREATE TABLE work_order_photos (
    id             TEXT PRIMARY KEY,
    work_order_id  TEXT NOT NULL REFERENCES work_orders(id),
    content_type   TEXT NOT NULL,
    size           BIGINT NOT NULL,
    bytes          BLOB NOT NULL,
    caption        TEXT,
    by_id          TEXT,
    at             TEXT NOT NULL
);
CREATE INDEX work_order_photos_work_order ON work_order_photos(work_order_id, at);

-- Device alarms from the monitoring center (R-REQ-1); repeats within the merge window
-- attach to the open request of the serial instead of making another.
CREATE TABLE alarms (
    id           TEXT PRIMARY KEY,
    source       TEXT NOT NULL,
    external_id  TEXT,
    serial_norm  TEXT NOT NULL,
    code         TEXT,
    message      TEXT,
    occurred_at  TEXT,
    received_at  TEXT NOT NULL,
    request_id   TEXT REFERENCES service_requests(id),
    merged       BIGINT NOT NULL DEFAULT 0 CHECK (merged IN (0, 1)),
    UNIQUE (source, external_id)
);
CREATE INDEX alarms_serial ON alarms(serial_norm, received_at);

-- Daily reconciliation (R-DSP-8): the clerk's call-backs to verify completed jobs.
CREATE TABLE callbacks (
    id             TEXT PRIMARY KEY,
    work_order_id  TEXT NOT NULL REFERENCES work_orders(id),
    day            TEXT NOT NULL,
    outcome        TEXT NOT NULL CHECK (outcome IN ('confirmed', 'discrepancy', 'unreachable')),
    notes          TEXT,
    by_id          TEXT,
    by_name        TEXT NOT NULL,
    at             TEXT NOT NULL
);
CREATE INDEX callbacks_work_order ON callbacks(work_order_id);
CREATE INDEX callbacks_day ON callbacks(day);

CREATE TRIGGER request_events_no_update BEFORE UPDATE ON request_events
BEGIN
    SELECT RAISE(ABORT, 'request_events is append-only');
END;
CREATE TRIGGER request_events_no_delete BEFORE DELETE ON request_events
BEGIN
    SELECT RAISE(ABORT, 'request_events is append-only');
END;
CREATE TRIGGER service_records_locked BEFORE UPDATE ON service_records
    WHEN OLD.signed_at IS NOT NULL OR OLD.signature_declined_reason IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a signed service record is not changed; add an addendum');
END;
CREATE TRIGGER service_records_no_delete BEFORE DELETE ON service_records
BEGIN
    SELECT RAISE(ABORT, 'service records are kept');
END;
CREATE TRIGGER record_addenda_no_change BEFORE UPDATE ON record_addenda
BEGIN
    SELECT RAISE(ABORT, 'record_addenda is append-only');
END;
CREATE TRIGGER record_addenda_no_delete BEFORE DELETE ON record_addenda
BEGIN
    SELECT RAISE(ABORT, 'record_addenda is append-only');
END;
