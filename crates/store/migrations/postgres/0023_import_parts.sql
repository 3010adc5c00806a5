-- Imports of parts and suppliers (issue 14, point 1; docs/parts.md "Import and export"):
-- an import batch may now hold parts or suppliers.

ALTER TABLE import_batches DROP CONSTRAINT import_batches_kind_check;
ALTER TABLE import_batches ADD CONSTRAINT import_batches_kind_check CHECK (kind IN (
    'customers', 'units', 'products', 'parts', 'suppliers'));
