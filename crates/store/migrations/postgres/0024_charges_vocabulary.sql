-- Charges (issue 15, docs/charges.md): the vocabulary first; see the SQLite twin for the list.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_entity_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_entity_check CHECK (entity IN (
        'user', 'api_token', 'org_unit', 'certification', 'customer', 'unit', 'product',
        'warranty_policy', 'contract', 'service_request', 'work_order', 'sla_rule', 'calendar',
        'special_days', 'special_day', 'calendar_override', 'job', 'import_batch', 'part', 'supplier',
        'stock_location', 'stock_move', 'reorder_point', 'loaner',
        'requisition', 'shipment', 'defect_return', 'failure_code', 'stock_count',
        'fee_schedule', 'quote', 'payment', 'cash_handover'));
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
        'create', 'update', 'import', 'put', 'delete', 'remove', 'disable', 'enable', 'login',
        'logout', 'change_password', 'reset_password', 'link_customer', 'set_contact',
        'set_regions', 'set_tier', 'transfer', 'add_version', 'revoke', 'retry', 'escalate', 'post',
        'issue', 'return', 'inspect', 'approve', 'reject', 'ship', 'receive', 'close', 'charge',
        'confirm', 'decline', 'override', 'refund', 'invoice', 'hand_over'));

ALTER TABLE request_events DROP CONSTRAINT request_events_kind_check;
ALTER TABLE request_events ADD CONSTRAINT request_events_kind_check CHECK (kind IN (
        'created', 'owner_changed', 'priority_changed', 'triaged_remote', 'triaged_onsite', 'remote_solved',
        'remote_failed', 'work_order_created', 'resolved', 'closed', 'work_order_cancelled', 'cancelled',
        'reopened', 'callback', 'alarm_received', 'alarm_merged', 'dispatched', 'reassigned',
        'accepted', 'declined', 'scheduled', 'rescheduled', 'en_route', 'arrived',
        'in_service', 'waiting', 'resumed', 'record_saved', 'photo_added', 'record_signed',
        'signature_declined', 'completed', 'follow_up_due', 'taken_to_depot', 'addendum', 'sla_warning',
        'sla_breached', 'sla_escalated', 'sla_acknowledged', 'emergency_plan_opened', 'loaner_proposed',
        'transferred', 'loaner_issued', 'loaner_returned', 'quote_issued', 'quote_confirmed',
        'quote_declined', 'charges_overridden', 'payment_recorded'));
