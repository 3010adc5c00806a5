-- The service network, part 2 (R-ORG-1, R-ORG-3): the regions each unit covers, and
-- engineers' skills and certifications per product line.

-- GB/T 2260 codes (6 digits); the application checks them against the shipped table. A
-- province's code covers its cities and districts, a city's its districts.
CREATE TABLE org_unit_regions (
    org_unit_id  TEXT NOT NULL REFERENCES org_units(id),
    region_code  TEXT NOT NULL CHECK (length(region_code) = 6),
    PRIMARY KEY (org_unit_id, region_code)
);
CREATE INDEX org_unit_regions_region ON org_unit_regions(region_code);

-- One record per person and product line while it stands; a removal keeps the row
-- (removed_at, removed_by) and the audit trail keeps every edit.
CREATE TABLE certifications (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id),
    product_line  TEXT NOT NULL,
    level         TEXT NOT NULL CHECK (level IN ('trainee', 'certified', 'senior')),
    number        TEXT,
    issued_on     TEXT,
    expires_on    TEXT,
    issuer        TEXT,
    removed_at    TEXT,
    removed_by    TEXT,
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CHECK (expires_on IS NULL OR issued_on IS NULL OR expires_on >= issued_on)
);
CREATE INDEX certifications_user ON certifications(user_id);
CREATE INDEX certifications_expires ON certifications(expires_on);
CREATE UNIQUE INDEX certifications_one_per_line ON certifications(user_id, product_line)
    WHERE removed_at IS NULL;
