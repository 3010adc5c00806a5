-- The typed event log (issue 12, docs/decisions.md "A typed request event log"): the event
-- kinds and the statuses an event records are closed vocabularies with a CHECK, as every
-- other status is; so are a waiting order's resume status and the SLA board's state and
-- milestone. The escalation ladder's entries keep facts only: the localized labels they
-- carried (`label`, `role`, `role_en`) go, and `to` becomes the list of the names told
-- (it was one text joined with "、"). The constraints are named as PostgreSQL names a
-- column's CHECK; SQLite rebuilds its tables for the same constraints.

-- The log is append-only: its guard steps aside for this one rewrite, in this transaction.
ALTER TABLE request_events DISABLE TRIGGER request_events_no_change;
UPDATE request_events
SET data = (
    CASE
        WHEN kind IN ('sla_breached', 'sla_escalated') AND jsonb_typeof(data::jsonb -> 'to') = 'string' THEN
            jsonb_set(
                data::jsonb - 'label' - 'role' - 'role_en',
                '{to}',
                to_jsonb(string_to_array(data::jsonb ->> 'to', '、')))
        ELSE data::jsonb - 'label' - 'role' - 'role_en'
    END)::text
WHERE kind IN ('sla_warning', 'sla_breached', 'sla_escalated', 'sla_acknowledged',
               'emergency_plan_opened', 'loaner_proposed')
  AND data IS NOT NULL;
ALTER TABLE request_events ENABLE TRIGGER request_events_no_change;

ALTER TABLE request_events ADD CONSTRAINT request_events_kind_check CHECK (kind IN (
        'created', 'owner_changed', 'priority_changed', 'triaged_remote', 'triaged_onsite', 'remote_solved',
        'remote_failed', 'work_order_created', 'resolved', 'closed', 'work_order_cancelled', 'cancelled',
        'reopened', 'callback', 'alarm_received', 'alarm_merged', 'dispatched', 'reassigned',
        'accepted', 'declined', 'scheduled', 'rescheduled', 'en_route', 'arrived',
        'in_service', 'waiting', 'resumed', 'record_saved', 'photo_added', 'record_signed',
        'signature_declined', 'completed', 'follow_up_due', 'taken_to_depot', 'addendum', 'sla_warning',
        'sla_breached', 'sla_escalated', 'sla_acknowledged', 'emergency_plan_opened', 'loaner_proposed'));
ALTER TABLE request_events ADD CONSTRAINT request_events_from_status_check CHECK (from_status IN (
        'open', 'in_progress', 'resolved', 'closed', 'cancelled', 'pending',
        'dispatched', 'accepted', 'scheduled', 'en_route', 'arrived', 'in_service',
        'waiting', 'completed'));
ALTER TABLE request_events ADD CONSTRAINT request_events_to_status_check CHECK (to_status IN (
        'open', 'in_progress', 'resolved', 'closed', 'cancelled', 'pending',
        'dispatched', 'accepted', 'scheduled', 'en_route', 'arrived', 'in_service',
        'waiting', 'completed'));

ALTER TABLE work_orders ADD CONSTRAINT work_orders_resume_status_check
    CHECK (resume_status IN ('pending', 'dispatched', 'accepted', 'scheduled', 'en_route', 'arrived', 'in_service', 'waiting', 'completed', 'cancelled'));

ALTER TABLE sla_status ADD CONSTRAINT sla_status_next_milestone_check
    CHECK (next_milestone IN ('response', 'arrival', 'diagnosis', 'resolution', 'loaner'));
ALTER TABLE sla_status ADD CONSTRAINT sla_status_state_check
    CHECK (state IN ('pending', 'running', 'paused', 'met', 'breached', 'not_required', 'cancelled'));
