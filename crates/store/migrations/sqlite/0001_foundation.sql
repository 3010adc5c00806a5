-- Foundation: service network units, accounts, sessions, tokens, login throttling,
-- the append-only audit trail and idempotency keys.
-- Conventions (both backends): ids are UUID text; instants are UTC text in the fixed form
-- 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (sorts as it reads); flags are 0/1 integers (sqlx's Any
-- driver cannot carry SQLite booleans); enumerations are CHECKed text;
-- editable records carry a version for optimistic concurrency.

CREATE TABLE org_units (
    id          TEXT PRIMARY KEY,
    parent_id   TEXT REFERENCES org_units(id),
    kind        TEXT NOT NULL CHECK (kind IN ('center', 'branch', 'station', 'partner', 'warehouse')),
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    path        TEXT NOT NULL,
    active      BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX org_units_path ON org_units(path);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'agent', 'dispatcher', 'engineer', 'warehouse', 'manager', 'partner', 'customer')),
    org_unit_id    TEXT REFERENCES org_units(id),
    password_hash  TEXT NOT NULL,
    locale         TEXT NOT NULL DEFAULT 'zh-CN' CHECK (locale IN ('zh-CN', 'en')),
    disabled       BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX users_org_unit ON users(org_unit_id);

-- Web sessions and login tokens: only a hash of the secret is kept.
CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    kind        TEXT NOT NULL CHECK (kind IN ('web', 'api')),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);

-- Personal API tokens, revocable, stored hashed.
CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id),
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    prefix        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT,
    revoked_at    TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE login_failures (
    username  TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX login_failures_username_at ON login_failures(username, at);

CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY,
    at           TEXT NOT NULL,
    actor_id     TEXT,
    actor_name   TEXT NOT NULL,
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    action       TEXT NOT NULL,
    before_json  TEXT,
    after_json   TEXT,
    request_id   TEXT
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_log_actor ON audit_log(actor_id);
CREATE INDEX audit_log_at ON audit_log(at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TABLE idempotency_keys (
    user_id        TEXT NOT NULL,
    idem_key       TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    status         BIGINT NOT NULL,
    response_json  TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);
