-- Imports of parts and suppliers (issue 14, point 1; docs/parts.md "Import and export"):
-- an import batch may now hold parts or suppliers. SQLite cannot alter a CHECK, so the
-- table is rebuilt with every row and its index; no table refers to import_batches and it
-- has no trigger.

CREATE TABLE import_batches_new (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('customers', 'units', 'products', 'parts',
        'suppliers')),
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
INSERT INTO import_batches_new (id, kind, mode, file_name, actor_id, actor_name, total_rows,
    created_rows, rejected_rows, rejects_json, created_at)
SELECT id, kind, mode, file_name, actor_id, actor_name, total_rows, created_rows,
    rejected_rows, rejects_json, created_at
FROM import_batches;
DROP TABLE import_batches;
ALTER TABLE import_batches_new RENAME TO import_batches;
CREATE INDEX import_batches_actor ON import_batches(actor_id, created_at);
