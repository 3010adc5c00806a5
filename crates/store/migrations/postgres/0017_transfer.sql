-- Handing a job to another station or a partner (issue 13, defect 6, docs/service-flow.md
-- "When nobody may be sent"): the event kind `transferred`, and the unit a work order was
-- handed to (`work_orders.handed_to`), whose people's boards it moves to.
ALTER TABLE request_events DROP CONSTRAINT request_events_kind_check;
ALTER TABLE request_events ADD CONSTRAINT request_events_kind_check CHECK (kind IN (
        'created', 'owner_changed', 'priority_changed', 'triaged_remote', 'triaged_onsite', 'remote_solved',
        'remote_failed', 'work_order_created', 'resolved', 'closed', 'work_order_cancelled', 'cancelled',
        'reopened', 'callback', 'alarm_received', 'alarm_merged', 'dispatched', 'reassigned',
        'accepted', 'declined', 'scheduled', 'rescheduled', 'en_route', 'arrived',
        'in_service', 'waiting', 'resumed', 'record_saved', 'photo_added', 'record_signed',
        'signature_declined', 'completed', 'follow_up_due', 'taken_to_depot', 'addendum', 'sla_warning',
        'sla_breached', 'sla_escalated', 'sla_acknowledged', 'emergency_plan_opened', 'loaner_proposed',
        'transferred'));

ALTER TABLE work_orders ADD COLUMN handed_to TEXT REFERENCES org_units(id);
