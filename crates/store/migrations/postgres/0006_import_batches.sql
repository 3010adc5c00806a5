-- Import batches (issue 3, import and export): one row per import that wrote records,
-- with its counts and, for a lenient import, the rejected rows (header, cells and error
-- codes as JSON) so that they can be downloaded as a file later. Dry runs and refused
-- strict imports write nothing, not even here.

CREATE TABLE import_batches (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('customers', 'units', 'products')),
    mode           TEXT NOT NULL CHECK (mode IN ('strict', 'lenient')),
    file_name      TEXT,
    actor_id       TEXT,
    actor_name     TEXT NOT NULL,
    total_rows     BIGINT NOT NULL,
    created_rows   BIGINT NOT NULL,
    rejected_rows  BIGINT NOT NULL,
    rejects_json   TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX import_batches_actor ON import_batches(actor_id, created_at);
