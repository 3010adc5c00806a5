-- Stocktaking (issue 14 point 7, docs/parts.md "Stocktaking"): a count sheet per location
-- and its lines. A line keeps the book quantity at the moment its count was entered; the
-- difference (counted − that book quantity) is posted at approval as count_gain / count_loss
-- onto the book as it then stands, so moves posted meanwhile are kept. Quantities in
-- thousandths of the part's unit of measure, as in 0018.

CREATE TABLE stock_counts (
    id                 TEXT PRIMARY KEY,
    number             TEXT NOT NULL UNIQUE,
    location_id        TEXT NOT NULL REFERENCES stock_locations(id),
    status             TEXT NOT NULL CHECK (status IN ('counting', 'submitted', 'approved',
        'cancelled')),
    note               TEXT,
    -- Why it was rejected last, or what the approver said.
    decision_note      TEXT,
    opened_by          TEXT REFERENCES users(id),
    opened_by_name     TEXT NOT NULL,
    opened_at          TEXT NOT NULL,
    submitted_by       TEXT REFERENCES users(id),
    submitted_by_name  TEXT,
    submitted_at       TEXT,
    decided_by_name    TEXT,
    decided_at         TEXT,
    version            BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    updated_at         TEXT NOT NULL,
    CHECK ((submitted_at IS NULL) = (submitted_by_name IS NULL)),
    CHECK ((decided_at IS NULL) = (decided_by_name IS NULL))
);
-- One open count per location.
CREATE UNIQUE INDEX stock_counts_open ON stock_counts(location_id)
    WHERE status IN ('counting', 'submitted');
CREATE INDEX stock_counts_opened ON stock_counts(opened_at);

CREATE TABLE stock_count_lines (
    count_id     TEXT NOT NULL REFERENCES stock_counts(id),
    line_no      BIGINT NOT NULL CHECK (line_no BETWEEN 1 AND 5000),
    part_id      TEXT NOT NULL REFERENCES parts(id),
    condition    TEXT NOT NULL CHECK (condition IN ('new', 'refurbished', 'defective')),
    -- What was found on the shelf; NULL until counted (zero is a count).
    counted      BIGINT CHECK (counted >= 0 AND counted <= 1000000000),
    -- The book quantity when the count was entered.
    book         BIGINT CHECK (book >= 0),
    counted_by_name TEXT,
    counted_at   TEXT,
    PRIMARY KEY (count_id, line_no),
    UNIQUE (count_id, part_id, condition),
    CHECK ((counted IS NULL) = (book IS NULL)),
    CHECK ((counted IS NULL) = (counted_at IS NULL))
);
