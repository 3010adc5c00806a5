-- Requisitions and shipments (issue 14 point 3, docs/requisitions.md): a store, a partner or
-- an engineer asks for parts, the warehouse approves and ships them through transit, the
-- receiver counts what arrived; each shipment line keeps shipped, received and its
-- discrepancy (the parts-issue-accuracy figure, R-PRT-5). Quantities in thousandths of the
-- part's unit of measure, money in fen, as in 0018.

CREATE TABLE requisitions (
    id                      TEXT PRIMARY KEY,
    number                  TEXT NOT NULL UNIQUE,
    requesting_location_id  TEXT NOT NULL REFERENCES stock_locations(id),
    supplying_location_id   TEXT NOT NULL REFERENCES stock_locations(id),
    priority                TEXT NOT NULL CHECK (priority IN ('monthly', 'urgent')),
    status                  TEXT NOT NULL CHECK (status IN ('submitted', 'approved',
        'rejected', 'shipped', 'received', 'cancelled')),
    -- The job the parts are needed for (the part needed but not in hand).
    work_order_id           TEXT REFERENCES work_orders(id),
    note                    TEXT,
    -- Why it was rejected, or what the approver said.
    decision_note           TEXT,
    requested_by            TEXT REFERENCES users(id),
    requested_by_name       TEXT NOT NULL,
    decided_by_name         TEXT,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL,
    CHECK (requesting_location_id <> supplying_location_id)
);
CREATE INDEX requisitions_requesting ON requisitions(requesting_location_id, created_at);
CREATE INDEX requisitions_status ON requisitions(status, created_at);
CREATE INDEX requisitions_work_order ON requisitions(work_order_id);

CREATE TABLE requisition_lines (
    requisition_id     TEXT NOT NULL REFERENCES requisitions(id),
    line_no            BIGINT NOT NULL CHECK (line_no BETWEEN 1 AND 100),
    part_id            TEXT NOT NULL REFERENCES parts(id),
    -- The part asked for when it was discontinued and its successor taken instead.
    requested_part_id  TEXT REFERENCES parts(id),
    qty_requested      BIGINT NOT NULL CHECK (qty_requested > 0 AND qty_requested <= 1000000000),
    qty_approved       BIGINT CHECK (qty_approved >= 0 AND qty_approved <= 1000000000),
    PRIMARY KEY (requisition_id, line_no)
);

CREATE TABLE shipments (
    id                TEXT PRIMARY KEY,
    number            TEXT NOT NULL UNIQUE,
    requisition_id    TEXT NOT NULL UNIQUE REFERENCES requisitions(id),
    carrier           TEXT NOT NULL,
    tracking_no       TEXT,
    -- Urgent freight, charged to the requesting unit.
    freight_fen       BIGINT NOT NULL DEFAULT 0 CHECK (freight_fen BETWEEN 0 AND 1000000000),
    charged_unit_id   TEXT REFERENCES org_units(id),
    shipped_at        TEXT NOT NULL,
    shipped_by_name   TEXT NOT NULL,
    received_at       TEXT,
    received_by_name  TEXT,
    CHECK ((received_at IS NULL) = (received_by_name IS NULL))
);
CREATE INDEX shipments_received ON shipments(received_at);

CREATE TABLE shipment_lines (
    shipment_id   TEXT NOT NULL REFERENCES shipments(id),
    line_no       BIGINT NOT NULL CHECK (line_no BETWEEN 1 AND 100),
    part_id       TEXT NOT NULL REFERENCES parts(id),
    qty_shipped   BIGINT NOT NULL CHECK (qty_shipped > 0 AND qty_shipped <= 1000000000),
    qty_received  BIGINT CHECK (qty_received >= 0 AND qty_received <= 1000000000),
    discrepancy   TEXT CHECK (discrepancy IN ('none', 'short', 'over', 'wrong_part')),
    PRIMARY KEY (shipment_id, line_no),
    CHECK ((qty_received IS NULL) = (discrepancy IS NULL))
);
