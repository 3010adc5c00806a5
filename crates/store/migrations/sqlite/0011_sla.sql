-- Service levels (R-ORG-4, R-SLA-1..4; docs/sla.md): calendars, holidays and make-up
-- workdays as data, per-unit overrides, the rules that pick a request's targets, the last
-- computed clocks of each request (for the SLA board), and notifications (the outbox of
-- messages to users and customers). Instants are fixed-width UTC text, days YYYY-MM-DD.

-- A calendar: 7x24 or weekly working hours in a time zone. `hours` is JSON:
-- {"type":"always"} or {"type":"weekly","days":[[{"start":540,"end":1170}],…]} (minutes of
-- the local day, Monday first). `observes_holidays`: whether the special days apply.
CREATE TABLE calendars (
    key                TEXT PRIMARY KEY,
    name_zh            TEXT NOT NULL,
    name_en            TEXT NOT NULL,
    time_zone          TEXT NOT NULL,
    hours              TEXT NOT NULL,
    observes_holidays  BIGINT NOT NULL DEFAULT 1 CHECK (observes_holidays IN (0, 1)),
    version            BIGINT NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);

-- Holidays and make-up workdays (调休). Scope '' is the national schedule; an org unit's
-- id holds that unit's own days, which win over the national ones for it and the units
-- below it.
CREATE TABLE special_days (
    scope       TEXT NOT NULL,
    day         TEXT NOT NULL CHECK (length(day) = 10),
    kind        TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name        TEXT NOT NULL,
    updated_by  TEXT,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (scope, day)
);

-- A unit's own time zone or hours for a calendar (the nearest unit up the tree wins).
CREATE TABLE calendar_overrides (
    org_unit_id   TEXT NOT NULL REFERENCES org_units(id),
    calendar_key  TEXT NOT NULL REFERENCES calendars(key),
    time_zone     TEXT,
    hours         TEXT,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (org_unit_id, calendar_key)
);

-- A rule: the criteria it applies to (NULL = any) and its targets as JSON
-- [{"milestone":"response","minutes":60,"calendar":"7x24"},…]. The most specific active
-- rule wins; ties go to the lower rank.
CREATE TABLE sla_rules (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    contract_level  TEXT,
    customer_tier   TEXT,
    region_class    TEXT CHECK (region_class IN ('same_city', 'same_province', 'other_province')),
    priority        TEXT CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    kind            TEXT CHECK (kind IN ('repair', 'installation', 'maintenance', 'inspection', 'consultation', 'return_exchange', 'complaint')),
    rank            BIGINT NOT NULL DEFAULT 0,
    targets         TEXT NOT NULL,
    active          BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- A customer's tier (e.g. vip, key, standard) for the rules.
ALTER TABLE customers ADD COLUMN tier TEXT;
-- Where users are told things besides the bell.
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN phone TEXT;

-- The clocks of each request as last computed from its events (the SLA board reads it;
-- the request's own page computes afresh). `next_due_at`: the earliest due time among its
-- open milestones; `state`: the worst state among them.
CREATE TABLE sla_status (
    request_id      TEXT PRIMARY KEY REFERENCES service_requests(id),
    rule_id         TEXT,
    next_due_at     TEXT,
    next_milestone  TEXT,
    state           TEXT NOT NULL,
    open            BIGINT NOT NULL CHECK (open IN (0, 1)),
    clocks          TEXT NOT NULL,
    computed_at     TEXT NOT NULL
);
CREATE INDEX sla_status_open ON sla_status(open, next_due_at);

-- Notifications: one row per recipient and channel, written in the transaction of the
-- event that causes it. In-app rows are the bell's list (unread → read); e-mail, SMS and
-- WeChat rows are delivered by a job (queued → sent, or failed with the error).
CREATE TABLE notifications (
    id          TEXT PRIMARY KEY,
    user_id     TEXT REFERENCES users(id),
    channel     TEXT NOT NULL CHECK (channel IN ('in_app', 'email', 'sms', 'wechat')),
    address     TEXT,
    locale      TEXT NOT NULL CHECK (locale IN ('zh-CN', 'en')),
    event       TEXT NOT NULL,
    request_id  TEXT REFERENCES service_requests(id),
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    link        TEXT,
    status      TEXT NOT NULL CHECK (status IN ('unread', 'read', 'queued', 'sent', 'failed')),
    last_error  TEXT,
    created_at  TEXT NOT NULL,
    read_at     TEXT,
    sent_at     TEXT
);
CREATE INDEX notifications_user ON notifications(user_id, status, created_at);
CREATE INDEX notifications_request ON notifications(request_id, created_at);
