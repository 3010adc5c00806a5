-- Login throttle (docs/decisions.md, "Login throttle"): one counter row per key, bumped
-- atomically with INSERT … ON CONFLICT DO UPDATE … RETURNING before a password is checked,
-- so concurrent attempts can never pass the limit. Keys: `acct_addr:<name>|<address>`,
-- `addr:<address>`, `acct:<name>`. A window starts with its first attempt.
DROP TABLE login_failures;

CREATE TABLE login_attempts (
    key           TEXT PRIMARY KEY,
    window_start  TEXT NOT NULL,
    n             BIGINT NOT NULL CHECK (n >= 0)
);
CREATE INDEX login_attempts_window ON login_attempts(window_start);

-- Addresses a user signed in from successfully: they keep signing in while the account
-- as a whole is under attack from elsewhere.
CREATE TABLE login_known_addresses (
    username  TEXT NOT NULL,
    address   TEXT NOT NULL,
    last_at   TEXT NOT NULL,
    PRIMARY KEY (username, address)
);
CREATE INDEX login_known_addresses_last ON login_known_addresses(last_at);

-- Server secrets shared by every app node (the CSRF key), created on first use.
CREATE TABLE server_secrets (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
