-- Payments, receipts and the cash engineers hand over (issue 15 points 4 and 5;
-- docs/charges.md "Payments and receipts", "Cash hand-over").
--
-- A payment is money taken (or, negative, refunded) against a work order; its receipt number
-- (`RC` + day + sequence, from the counters) is printed on the receipt PDF. Payments are never
-- updated except to set, once each: the invoice fields (`invoice_no`, `invoice_type`,
-- `invoiced_at`) when accounting issues the 发票, and `handover_id` when the cash goes into a
-- hand-over. They are never deleted (a mistake is corrected by a refund).
--
-- Numbers 0025 and 0026 are left to the fee schedules and quotes, built beside this one.

CREATE TABLE cash_handovers (
    id              TEXT PRIMARY KEY,
    engineer_id     TEXT NOT NULL REFERENCES users(id),
    engineer_name   TEXT NOT NULL,
    handed_at       TEXT NOT NULL,
    expected_fen    BIGINT NOT NULL CHECK (expected_fen BETWEEN -10000000000 AND 10000000000),
    counted_fen     BIGINT CHECK (counted_fen BETWEEN 0 AND 10000000000),
    difference_fen  BIGINT CHECK (difference_fen BETWEEN -20000000000 AND 20000000000),
    confirmed_by    TEXT,
    confirmed_by_name TEXT,
    confirmed_at    TEXT,
    note            TEXT CHECK (note IS NULL OR length(note) <= 1000),
    CHECK ((confirmed_at IS NULL) = (counted_fen IS NULL)),
    CHECK ((confirmed_at IS NULL) = (difference_fen IS NULL))
);
CREATE INDEX cash_handovers_engineer ON cash_handovers(engineer_id, handed_at);
CREATE INDEX cash_handovers_open ON cash_handovers(handed_at) WHERE confirmed_at IS NULL;

CREATE TABLE payments (
    id                TEXT PRIMARY KEY,
    receipt_no        TEXT NOT NULL UNIQUE CHECK (receipt_no LIKE 'RC%'),
    work_order_id     TEXT NOT NULL REFERENCES work_orders(id),
    request_id        TEXT NOT NULL REFERENCES service_requests(id),
    quote_number      TEXT,
    amount_fen        BIGINT NOT NULL CHECK (amount_fen <> 0
        AND amount_fen BETWEEN -10000000000 AND 10000000000),
    method            TEXT NOT NULL CHECK (method IN ('cash', 'bank_transfer', 'wechat_pay', 'alipay',
        'pos_card')),
    reference         TEXT CHECK (reference IS NULL OR length(reference) BETWEEN 1 AND 64),
    reason            TEXT CHECK (reason IS NULL OR length(reason) BETWEEN 1 AND 1000),
    refund_of         TEXT REFERENCES payments(id),
    collected_by      TEXT,
    collected_by_name TEXT NOT NULL,
    collected_at      TEXT NOT NULL,
    invoice_no        TEXT CHECK (invoice_no IS NULL OR length(invoice_no) BETWEEN 1 AND 40),
    invoice_type      TEXT CHECK (invoice_type IN ('vat_special', 'vat_ordinary', 'electronic')),
    invoiced_at       TEXT,
    handover_id       TEXT REFERENCES cash_handovers(id),
    -- Every method but cash carries its bank/WeChat/Alipay/POS reference.
    CHECK (method = 'cash' OR reference IS NOT NULL),
    -- A refund says why.
    CHECK (amount_fen > 0 OR reason IS NOT NULL),
    CHECK ((invoice_no IS NULL) = (invoice_type IS NULL))
);
CREATE INDEX payments_work_order ON payments(work_order_id, collected_at);
CREATE INDEX payments_request ON payments(request_id, collected_at);
-- The cash each engineer still holds.
CREATE INDEX payments_cash_held ON payments(collected_by, collected_at)
    WHERE method = 'cash' AND handover_id IS NULL;
