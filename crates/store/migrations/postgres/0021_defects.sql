-- Old for new (R-PRT-3) and defect analysis (R-PRT-4), issue 14 points 4-6 (docs/defects.md).

-- The charge fact of every part issued on a work order: the unit's warranty decision on
-- the service date (free or chargeable). The charges issue prices it later.
CREATE TABLE part_issues (
    id              TEXT PRIMARY KEY,
    move_id         TEXT NOT NULL UNIQUE REFERENCES stock_moves(id),
    work_order_id   TEXT NOT NULL REFERENCES work_orders(id),
    part_id         TEXT NOT NULL REFERENCES parts(id),
    qty             BIGINT NOT NULL CHECK (qty > 0 AND qty <= 1000000000),
    serial          TEXT,
    unit_id         TEXT REFERENCES units(id),
    charge          TEXT NOT NULL CHECK (charge IN ('free', 'chargeable')),
    warranty_class  TEXT,
    decided_on      TEXT NOT NULL,
    at              TEXT NOT NULL
);
CREATE INDEX part_issues_work_order ON part_issues(work_order_id);

-- The catalog of failure codes; a code fits one key-part category or any (NULL).
CREATE TABLE failure_codes (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    category    TEXT CHECK (category IN ('motor', 'compressor', 'axle', 'frame',
        'control_board', 'sensor', 'electrical', 'mechanical', 'consumable', 'other')),
    active      BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TEXT NOT NULL
);

-- The obligation to bring the defective part back (以旧换新), one per free issue.
CREATE TABLE defect_returns (
    id                   TEXT PRIMARY KEY,
    number               TEXT NOT NULL UNIQUE,
    issue_id             TEXT NOT NULL UNIQUE REFERENCES part_issues(id),
    work_order_id        TEXT NOT NULL REFERENCES work_orders(id),
    part_id              TEXT NOT NULL REFERENCES parts(id),
    qty                  BIGINT NOT NULL CHECK (qty > 0 AND qty <= 1000000000),
    serial               TEXT,
    unit_id              TEXT REFERENCES units(id),
    engineer_id          TEXT REFERENCES users(id),
    van_location_id      TEXT NOT NULL REFERENCES stock_locations(id),
    responsible_unit_id  TEXT REFERENCES org_units(id),
    status               TEXT NOT NULL CHECK (status IN ('open', 'handed_in', 'received')),
    due_on               TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    handed_in_at         TEXT,
    received_at          TEXT,
    received_by          TEXT REFERENCES users(id),
    failure_code_id      TEXT REFERENCES failure_codes(id),
    batch                TEXT,
    overdue_at           TEXT,
    version              BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX defect_returns_engineer ON defect_returns(engineer_id, status);
CREATE INDEX defect_returns_status ON defect_returns(status, due_on);
CREATE INDEX defect_returns_received ON defect_returns(part_id, received_at);

-- A part not brought back in time, charged once to the responsible unit at list price.
CREATE TABLE defect_charges (
    id           TEXT PRIMARY KEY,
    return_id    TEXT NOT NULL UNIQUE REFERENCES defect_returns(id),
    org_unit_id  TEXT REFERENCES org_units(id),
    amount_fen   BIGINT NOT NULL CHECK (amount_fen >= 0),
    at           TEXT NOT NULL
);

-- Quality alerts: a part's failures in the rolling window reached the threshold.
CREATE TABLE quality_alerts (
    id          TEXT PRIMARY KEY,
    part_id     TEXT NOT NULL REFERENCES parts(id),
    failures    BIGINT NOT NULL,
    since       TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX quality_alerts_part ON quality_alerts(part_id, at);
