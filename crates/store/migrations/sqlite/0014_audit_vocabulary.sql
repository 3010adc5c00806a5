-- The audit trail's vocabulary (issue 13, docs/operations.md "The audit trail"): the kind of
-- record an entry is about (`entity`) and what was done (`action`) are closed vocabularies,
-- domain enums `AuditEntity` and `AuditAction`, checked here as every other one is.
--
-- Existing rows keep their names: the vocabularies are exactly the names the code has ever
-- written (every call site in the history was checked: 16 entity kinds, 20 actions; the
-- kinds `service_request` and `work_order` are new). A name outside them would stop the
-- migration rather than be guessed at.
--
-- SQLite adds a CHECK only by rebuilding the table (https://sqlite.org/lang_altertable.html#otheralter):
-- the rows are copied as they are, then the indexes and the append-only triggers are made
-- again. audit_log has no foreign keys either way.
CREATE TABLE audit_log_new (
    id           TEXT PRIMARY KEY,
    at           TEXT NOT NULL,
    actor_id     TEXT,
    actor_name   TEXT NOT NULL,
    entity       TEXT NOT NULL CHECK (entity IN (
        'user', 'api_token', 'org_unit', 'certification', 'customer', 'unit', 'product',
        'warranty_policy', 'contract', 'service_request', 'work_order', 'sla_rule', 'calendar',
        'special_days', 'special_day', 'calendar_override', 'job', 'import_batch')),
    entity_id    TEXT NOT NULL,
    action       TEXT NOT NULL CHECK (action IN (
        'create', 'update', 'import', 'put', 'delete', 'remove', 'disable', 'enable', 'login',
        'logout', 'change_password', 'reset_password', 'link_customer', 'set_contact',
        'set_regions', 'set_tier', 'transfer', 'add_version', 'revoke', 'retry', 'escalate')),
    before_json  TEXT,
    after_json   TEXT,
    request_id   TEXT
);
INSERT INTO audit_log_new (id, at, actor_id, actor_name, entity, entity_id, action,
    before_json, after_json, request_id)
SELECT id, at, actor_id, actor_name, entity, entity_id, action, before_json, after_json,
    request_id
FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
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
