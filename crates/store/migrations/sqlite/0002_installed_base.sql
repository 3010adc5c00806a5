-- The installed base: warranty policies (versioned by effective date), product models,
-- customers with contacts, phones and sites, and serial-numbered units with their
-- ownership history. Dates that are dates are 'YYYY-MM-DD' text.

CREATE TABLE warranty_policies (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- Versions are only ever added: a change applies to units sold from its date on.
CREATE TABLE warranty_policy_versions (
    id                TEXT PRIMARY KEY,
    policy_id         TEXT NOT NULL REFERENCES warranty_policies(id),
    effective_from    TEXT NOT NULL,
    months            BIGINT NOT NULL CHECK (months BETWEEN 0 AND 600),
    start_basis       TEXT NOT NULL CHECK (start_basis IN ('sale_date', 'installation_date', 'day_after_acceptance')),
    in_parts          TEXT NOT NULL CHECK (in_parts IN ('free', 'cost_price', 'list_price')),
    in_labor          TEXT NOT NULL CHECK (in_labor IN ('free', 'cost_price', 'list_price')),
    in_travel         TEXT NOT NULL CHECK (in_travel IN ('free', 'cost_price', 'list_price')),
    exclusion_charge  TEXT NOT NULL CHECK (exclusion_charge IN ('cost_price', 'list_price')),
    after_terms       TEXT NOT NULL,
    note              TEXT,
    created_at        TEXT NOT NULL,
    UNIQUE (policy_id, effective_from)
);

CREATE TABLE product_models (
    id                           TEXT PRIMARY KEY,
    code                         TEXT NOT NULL UNIQUE,
    name                         TEXT NOT NULL,
    product_line                 TEXT NOT NULL,
    maintenance_interval_months  BIGINT CHECK (maintenance_interval_months BETWEEN 1 AND 120),
    policy_id                    TEXT REFERENCES warranty_policies(id),
    version                      BIGINT NOT NULL DEFAULT 1,
    created_at                   TEXT NOT NULL,
    updated_at                   TEXT NOT NULL
);

CREATE TABLE customers (
    id            TEXT PRIMARY KEY,
    number        TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL CHECK (kind IN ('individual', 'company')),
    name          TEXT NOT NULL,
    company       TEXT,
    region_code   TEXT,
    notes         TEXT,
    -- Lower-case name, company and pinyin initials, for search while typing.
    search_text   TEXT NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX customers_name ON customers(name);

CREATE TABLE customer_contacts (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    name         TEXT NOT NULL,
    title        TEXT,
    is_primary   BIGINT NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
    position     BIGINT NOT NULL
);
CREATE INDEX customer_contacts_customer ON customer_contacts(customer_id);

CREATE TABLE customer_phones (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    contact_id   TEXT REFERENCES customer_contacts(id),
    number       TEXT NOT NULL,
    digits       TEXT NOT NULL,
    position     BIGINT NOT NULL
);
CREATE INDEX customer_phones_customer ON customer_phones(customer_id);
CREATE INDEX customer_phones_digits ON customer_phones(digits);

CREATE TABLE customer_sites (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    label        TEXT NOT NULL,
    address      TEXT NOT NULL,
    region_code  TEXT,
    latitude     DOUBLE PRECISION,
    longitude    DOUBLE PRECISION,
    position     BIGINT NOT NULL
);
CREATE INDEX customer_sites_customer ON customer_sites(customer_id);

CREATE TABLE units (
    id                 TEXT PRIMARY KEY,
    manufacturer       TEXT NOT NULL,
    serial             TEXT,
    serial_norm        TEXT,
    product_id         TEXT NOT NULL REFERENCES product_models(id),
    customer_id        TEXT REFERENCES customers(id),
    site_id            TEXT REFERENCES customer_sites(id),
    manufacture_date   TEXT,
    ship_date          TEXT,
    sale_date          TEXT,
    installation_date  TEXT,
    acceptance_date    TEXT,
    dealer             TEXT,
    oem                BIGINT NOT NULL DEFAULT 0 CHECK (oem IN (0, 1)),
    third_party        BIGINT NOT NULL DEFAULT 0 CHECK (third_party IN (0, 1)),
    version            BIGINT NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (manufacturer, serial_norm)
);
CREATE INDEX units_serial_norm ON units(serial_norm);
CREATE INDEX units_customer ON units(customer_id);
CREATE INDEX units_product ON units(product_id);

-- Who owned a unit when: a transfer adds a row, never rewrites one.
CREATE TABLE unit_ownerships (
    id           TEXT PRIMARY KEY,
    unit_id      TEXT NOT NULL REFERENCES units(id),
    customer_id  TEXT REFERENCES customers(id),
    since        TEXT NOT NULL,
    note         TEXT,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX unit_ownerships_unit ON unit_ownerships(unit_id);

-- Human numbers (CU000001, …): one counter row per kind, bumped in the creating
-- transaction.
CREATE TABLE counters (
    name   TEXT PRIMARY KEY,
    value  BIGINT NOT NULL
);
