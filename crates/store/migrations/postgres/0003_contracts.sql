-- Service contracts (合同服务): a customer's covered units for a period, coverage that
-- overrides the warranty per item, a service level name (the SLA rules give it meaning),
-- an inspection plan and a reminder before expiry.

CREATE TABLE service_contracts (
    id                  TEXT PRIMARY KEY,
    number              TEXT NOT NULL UNIQUE,
    customer_id         TEXT NOT NULL REFERENCES customers(id),
    start_date          TEXT NOT NULL,
    end_date            TEXT NOT NULL,
    service_level       TEXT NOT NULL,
    parts               TEXT CHECK (parts IN ('free', 'cost_price', 'list_price')),
    labor               TEXT CHECK (labor IN ('free', 'cost_price', 'list_price')),
    travel              TEXT CHECK (travel IN ('free', 'cost_price', 'list_price')),
    inspection_plan     TEXT NOT NULL,
    remind_days_before  BIGINT NOT NULL CHECK (remind_days_before BETWEEN 0 AND 365),
    notes               TEXT,
    version             BIGINT NOT NULL DEFAULT 1,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    CHECK (end_date >= start_date)
);
CREATE INDEX service_contracts_customer ON service_contracts(customer_id);
CREATE INDEX service_contracts_end ON service_contracts(end_date);

CREATE TABLE contract_units (
    contract_id  TEXT NOT NULL REFERENCES service_contracts(id),
    unit_id      TEXT NOT NULL REFERENCES units(id),
    PRIMARY KEY (contract_id, unit_id)
);
CREATE INDEX contract_units_unit ON contract_units(unit_id);
