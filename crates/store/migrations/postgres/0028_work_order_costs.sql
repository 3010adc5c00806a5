-- Service types and cost (R-FEE-1, issue 15 point 6; docs/charges.md "Service type and
-- cost"): when a work order is completed, the engine prices it as it stands and the result
-- is kept here, once per order: its service type (free, contract, paid, internal), what each
-- payer bears (the cost of free and contract work for the warranty-cost KPI, the customer's
-- net and VAT for service revenue) and the lines, as priced then. Written once, never
-- changed.
CREATE TABLE work_order_costs (
    work_order_id  TEXT PRIMARY KEY REFERENCES work_orders(id),
    service_type   TEXT NOT NULL CHECK (service_type IN ('free', 'contract', 'paid', 'internal')),
    warranty_fen   BIGINT NOT NULL CHECK (warranty_fen BETWEEN 0 AND 10000000000),
    contract_fen   BIGINT NOT NULL CHECK (contract_fen BETWEEN 0 AND 10000000000),
    customer_fen   BIGINT NOT NULL CHECK (customer_fen BETWEEN 0 AND 10000000000),
    vat_fen        BIGINT NOT NULL CHECK (vat_fen BETWEEN 0 AND 10000000000),
    partner_fen    BIGINT NOT NULL CHECK (partner_fen BETWEEN 0 AND 10000000000),
    internal_fen   BIGINT NOT NULL CHECK (internal_fen BETWEEN 0 AND 10000000000),
    schedule_id    TEXT,
    lines_json     TEXT NOT NULL,
    priced_at      TEXT NOT NULL
);
CREATE INDEX work_order_costs_type ON work_order_costs(service_type);
CREATE FUNCTION work_order_costs_written_once() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'work_order_costs is written once';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER work_order_costs_no_change BEFORE UPDATE OR DELETE ON work_order_costs
    FOR EACH ROW EXECUTE FUNCTION work_order_costs_written_once();
