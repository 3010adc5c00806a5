-- The audit trail's vocabulary (issue 13, docs/operations.md "The audit trail"): the kind of
-- record an entry is about (`entity`) and what was done (`action`) are closed vocabularies,
-- domain enums `AuditEntity` and `AuditAction`, checked here as every other one is.
--
-- Existing rows keep their names: the vocabularies are exactly the names the code has ever
-- written (every call site in the history was checked: 16 entity kinds, 20 actions; the
-- kinds `service_request` and `work_order` are new). A name outside them would stop the
-- migration rather than be guessed at.
--
-- Adding a CHECK reads the rows without changing them, so the append-only trigger stays.
ALTER TABLE audit_log ADD CONSTRAINT audit_log_entity_check CHECK (entity IN (
        'user', 'api_token', 'org_unit', 'certification', 'customer', 'unit', 'product',
        'warranty_policy', 'contract', 'service_request', 'work_order', 'sla_rule', 'calendar',
        'special_days', 'special_day', 'calendar_override', 'job', 'import_batch'));
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
        'create', 'update', 'import', 'put', 'delete', 'remove', 'disable', 'enable', 'login',
        'logout', 'change_password', 'reset_password', 'link_customer', 'set_contact',
        'set_regions', 'set_tier', 'transfer', 'add_version', 'revoke', 'retry', 'escalate'));
