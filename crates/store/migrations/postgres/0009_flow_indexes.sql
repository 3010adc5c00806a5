-- Indexes the service flow needs at scale (bench/flow): a unit's requests newest first
-- whatever their status (the filtered request list), and work orders of one status in
-- number order (the dispatcher board's pending work, the work order list by status).
CREATE INDEX service_requests_org_created ON service_requests(org_unit_id, created_at, id);
CREATE INDEX work_orders_status_number ON work_orders(status, number);
-- The board's engineer rows and open-order counts: open orders by status and appointment,
-- the engineer in the index too, so counting reads no table rows.
CREATE INDEX work_orders_status_appointment ON work_orders(status, appointment_start, engineer_id);
