-- Spare parts and their stock (issue 14, docs/parts.md): suppliers, the parts catalog with
-- the models each part fits, stock locations (real and virtual), reorder points, and the
-- append-only ledger of moves with the balances kept in the same transaction. The audit
-- trail learns the new kinds of record.

CREATE TABLE suppliers (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    contact     TEXT,
    phone       TEXT,
    email       TEXT,
    address     TEXT,
    -- What the supplier warrants its parts for, in months (配件供应厂商的保修条款).
    warranty_months BIGINT CHECK (warranty_months BETWEEN 0 AND 120),
    note        TEXT,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE parts (
    id              TEXT PRIMARY KEY,
    part_no         TEXT NOT NULL UNIQUE,
    name_zh         TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    category        TEXT NOT NULL CHECK (category IN ('motor', 'compressor', 'axle', 'frame',
        'control_board', 'sensor', 'electrical', 'mechanical', 'consumable', 'other')),
    uom             TEXT NOT NULL CHECK (uom IN ('pcs', 'set', 'pair', 'm', 'kg', 'l')),
    serialized      BIGINT NOT NULL DEFAULT 0 CHECK (serialized IN (0, 1)),
    original_only   BIGINT NOT NULL DEFAULT 0 CHECK (original_only IN (0, 1)),
    cost_fen        BIGINT NOT NULL CHECK (cost_fen BETWEEN 0 AND 1000000000),
    list_price_fen  BIGINT NOT NULL CHECK (list_price_fen BETWEEN 0 AND 1000000000),
    supplier_id     TEXT REFERENCES suppliers(id),
    -- The supplier's warranty on this part, in months, when it differs from the supplier's.
    supplier_warranty_months BIGINT CHECK (supplier_warranty_months BETWEEN 0 AND 120),
    discontinued    BIGINT NOT NULL DEFAULT 0 CHECK (discontinued IN (0, 1)),
    -- The equivalent-or-better part offered instead once this one is discontinued.
    successor_id    TEXT REFERENCES parts(id),
    note            TEXT,
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    CHECK (successor_id IS NULL OR successor_id <> id)
);
CREATE INDEX parts_name_zh ON parts(name_zh);

-- The product models a part fits.
CREATE TABLE part_models (
    part_id     TEXT NOT NULL REFERENCES parts(id),
    product_id  TEXT NOT NULL REFERENCES product_models(id),
    PRIMARY KEY (part_id, product_id)
);
CREATE INDEX part_models_product ON part_models(product_id);

-- Where stock is kept, and the virtual ends of moves (one of each kind, made below).
CREATE TABLE stock_locations (
    id           TEXT PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('warehouse', 'store', 'partner_store', 'van',
        'in_transit', 'supplier', 'customer', 'scrap', 'adjustment')),
    -- The unit that keeps it (warehouse, store, partner store; an engineer's van: the
    -- engineer's unit).
    org_unit_id  TEXT REFERENCES org_units(id),
    -- A van's engineer.
    user_id      TEXT UNIQUE REFERENCES users(id),
    active       BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at   TEXT NOT NULL,
    CHECK ((kind = 'van') = (user_id IS NOT NULL)),
    CHECK (kind NOT IN ('warehouse', 'store', 'partner_store', 'van') OR org_unit_id IS NOT NULL)
);
CREATE INDEX stock_locations_unit ON stock_locations(org_unit_id);

-- The reorder point and quantity of a part at a location.
CREATE TABLE reorder_points (
    location_id    TEXT NOT NULL REFERENCES stock_locations(id),
    part_id        TEXT NOT NULL REFERENCES parts(id),
    reorder_point  BIGINT NOT NULL CHECK (reorder_point BETWEEN 0 AND 1000000000),
    reorder_qty    BIGINT NOT NULL CHECK (reorder_qty BETWEEN 0 AND 1000000000),
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (location_id, part_id)
);

-- The ledger: one row per move, never changed. Quantities in thousandths of the part's
-- unit of measure, values in fen, both fixed when the move is written.
CREATE TABLE stock_moves (
    id                TEXT PRIMARY KEY,
    at                TEXT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('receipt', 'transfer', 'transfer_out',
        'transfer_in', 'issue', 'return', 'defective_in', 'scrap', 'count_gain', 'count_loss',
        'transit_loss', 'transit_gain')),
    part_id           TEXT NOT NULL REFERENCES parts(id),
    condition         TEXT NOT NULL CHECK (condition IN ('new', 'refurbished', 'defective')),
    qty               BIGINT NOT NULL CHECK (qty > 0 AND qty <= 1000000000),
    from_location_id  TEXT NOT NULL REFERENCES stock_locations(id),
    to_location_id    TEXT NOT NULL REFERENCES stock_locations(id),
    value_fen         BIGINT NOT NULL CHECK (value_fen >= 0),
    serial            TEXT,
    work_order_id     TEXT REFERENCES work_orders(id),
    -- Free reference (a delivery note, a shipment, a count sheet).
    reference         TEXT,
    reason            TEXT,
    approved_by       TEXT REFERENCES users(id),
    actor_id          TEXT REFERENCES users(id),
    actor_name        TEXT NOT NULL,
    note              TEXT,
    CHECK (from_location_id <> to_location_id)
);
CREATE INDEX stock_moves_at ON stock_moves(at, id);
CREATE INDEX stock_moves_work_order ON stock_moves(work_order_id);
CREATE INDEX stock_moves_part ON stock_moves(part_id, at, id);

-- What each move did to each location that holds stock: the running balance after it.
CREATE TABLE stock_entries (
    move_id        TEXT NOT NULL REFERENCES stock_moves(id),
    location_id    TEXT NOT NULL REFERENCES stock_locations(id),
    part_id        TEXT NOT NULL REFERENCES parts(id),
    condition      TEXT NOT NULL CHECK (condition IN ('new', 'refurbished', 'defective')),
    at             TEXT NOT NULL,
    delta          BIGINT NOT NULL,
    value_delta    BIGINT NOT NULL,
    balance_after  BIGINT NOT NULL CHECK (balance_after >= 0),
    value_after    BIGINT NOT NULL CHECK (value_after >= 0),
    PRIMARY KEY (move_id, location_id)
);
CREATE INDEX stock_entries_ledger ON stock_entries(location_id, part_id, at, move_id);

-- On hand per location, part and condition, kept in the transaction of each move.
CREATE TABLE stock_balances (
    location_id  TEXT NOT NULL REFERENCES stock_locations(id),
    part_id      TEXT NOT NULL REFERENCES parts(id),
    condition    TEXT NOT NULL CHECK (condition IN ('new', 'refurbished', 'defective')),
    on_hand      BIGINT NOT NULL CHECK (on_hand >= 0),
    value_fen    BIGINT NOT NULL CHECK (value_fen >= 0),
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (location_id, part_id, condition)
);
CREATE INDEX stock_balances_part ON stock_balances(part_id);
-- Valuation sums every location's balances from this index alone.
CREATE INDEX stock_balances_value ON stock_balances(location_id, on_hand, value_fen);

-- Where each serial-numbered part is now.
CREATE TABLE stock_serials (
    part_id      TEXT NOT NULL REFERENCES parts(id),
    serial       TEXT NOT NULL,
    location_id  TEXT NOT NULL REFERENCES stock_locations(id),
    condition    TEXT NOT NULL CHECK (condition IN ('new', 'refurbished', 'defective')),
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (part_id, serial)
);

INSERT INTO stock_locations (id, code, name, kind, created_at) VALUES
    ('00000000-0000-7000-8000-000000000101', 'SUPPLIER', 'Supplier', 'supplier', '2026-01-01T00:00:00.000000Z'),
    ('00000000-0000-7000-8000-000000000102', 'IN-TRANSIT', 'In transit', 'in_transit', '2026-01-01T00:00:00.000000Z'),
    ('00000000-0000-7000-8000-000000000103', 'CUSTOMER', 'Customer', 'customer', '2026-01-01T00:00:00.000000Z'),
    ('00000000-0000-7000-8000-000000000104', 'SCRAP', 'Scrap', 'scrap', '2026-01-01T00:00:00.000000Z'),
    ('00000000-0000-7000-8000-000000000105', 'ADJUSTMENT', 'Count difference', 'adjustment', '2026-01-01T00:00:00.000000Z');

CREATE TRIGGER stock_moves_no_change BEFORE UPDATE OR DELETE ON stock_moves
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER stock_entries_no_change BEFORE UPDATE OR DELETE ON stock_entries
    FOR EACH ROW EXECUTE FUNCTION append_only();

ALTER TABLE audit_log DROP CONSTRAINT audit_log_entity_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_entity_check CHECK (entity IN (
        'user', 'api_token', 'org_unit', 'certification', 'customer', 'unit', 'product',
        'warranty_policy', 'contract', 'service_request', 'work_order', 'sla_rule', 'calendar',
        'special_days', 'special_day', 'calendar_override', 'job', 'import_batch', 'part', 'supplier',
        'stock_location', 'stock_move', 'reorder_point', 'loaner',
        'requisition', 'shipment', 'defect_return', 'failure_code', 'stock_count'));
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
        'create', 'update', 'import', 'put', 'delete', 'remove', 'disable', 'enable', 'login',
        'logout', 'change_password', 'reset_password', 'link_customer', 'set_contact',
        'set_regions', 'set_tier', 'transfer', 'add_version', 'revoke', 'retry', 'escalate', 'post',
        'issue', 'return', 'inspect', 'approve', 'reject', 'ship', 'receive', 'close', 'charge'));
