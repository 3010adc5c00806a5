-- Quotes (报价单, R-FEE-3, issue 15 point 3; docs/charges.md "Quotes"): paid work is priced
-- by the engine and confirmed by the customer before it proceeds. A quote has one number per
-- work order and a row per version; a new version supersedes the one before and voids its
-- link (`token_hash` is the SHA-256 of the one-time link's secret, never the secret). Lines
-- and the facts they were priced from are kept as JSON so a quote reads back exactly as sent,
-- whatever the fee schedule says later. `charge_overrides` holds a manager's decision to let
-- paid work go on without confirmation or payment, with the reason (also on the timeline).
CREATE TABLE quotes (
    id               TEXT PRIMARY KEY,
    number           TEXT NOT NULL CHECK (length(number) BETWEEN 1 AND 32),
    version          BIGINT NOT NULL CHECK (version BETWEEN 1 AND 1000),
    work_order_id    TEXT NOT NULL REFERENCES work_orders(id),
    request_id       TEXT NOT NULL REFERENCES service_requests(id),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'declined', 'superseded')),
    cause            TEXT NOT NULL CHECK (cause IN ('normal_failure', 'misuse', 'improper_maintenance',
        'force_majeure', 'unauthorized_modification', 'damage_by_others')),
    schedule_id      TEXT,
    facts_json       TEXT NOT NULL,
    lines_json       TEXT NOT NULL,
    net_fen          BIGINT NOT NULL CHECK (net_fen BETWEEN 0 AND 10000000000),
    vat_rate_ppm     BIGINT NOT NULL CHECK (vat_rate_ppm BETWEEN 0 AND 1000000),
    vat_fen          BIGINT NOT NULL CHECK (vat_fen BETWEEN 0 AND 10000000000),
    gross_fen        BIGINT NOT NULL CHECK (gross_fen BETWEEN 0 AND 20000000000),
    service_type     TEXT NOT NULL CHECK (service_type IN ('free', 'contract', 'paid', 'internal')),
    valid_until      TEXT NOT NULL CHECK (length(valid_until) = 10),
    locale           TEXT NOT NULL CHECK (locale IN ('zh-CN', 'en')),
    token_hash       TEXT UNIQUE,
    note             TEXT,
    created_by       TEXT REFERENCES users(id),
    created_by_name  TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    answered_at      TEXT,
    answered_via     TEXT CHECK (answered_via IN ('link', 'signature')),
    answer_note      TEXT,
    signer_name      TEXT,
    signature_png    BLOB,
    UNIQUE (number, version)
);
CREATE INDEX quotes_work_order ON quotes(work_order_id, version);
CREATE INDEX quotes_request ON quotes(request_id);

CREATE TABLE charge_overrides (
    id             TEXT PRIMARY KEY,
    work_order_id  TEXT NOT NULL REFERENCES work_orders(id),
    refused        TEXT NOT NULL CHECK (refused IN ('quote_not_confirmed', 'payment_required')),
    reason         TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    by_id          TEXT REFERENCES users(id),
    by_name        TEXT NOT NULL,
    at             TEXT NOT NULL
);
CREATE INDEX charge_overrides_work_order ON charge_overrides(work_order_id);
CREATE TRIGGER charge_overrides_no_update BEFORE UPDATE ON charge_overrides
BEGIN
    SELECT RAISE(ABORT, 'charge_overrides is append-only');
END;
CREATE TRIGGER charge_overrides_no_delete BEFORE DELETE ON charge_overrides
BEGIN
    SELECT RAISE(ABORT, 'charge_overrides is append-only');
END;
