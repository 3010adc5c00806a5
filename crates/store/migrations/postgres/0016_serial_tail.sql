-- A serial's tail finds its unit (issue 13, defect 17: "000450" finds KT5P-2023-000450).
-- `serial_rev` is the normalized serial reversed, so "ends with" is a prefix range on an
-- index, as fast as "starts with" on `serial_norm`. The store writes it with every unit;
-- existing rows are filled here.
ALTER TABLE units ADD COLUMN serial_rev TEXT COLLATE "C";

UPDATE units SET serial_rev = reverse(serial_norm) WHERE serial_norm IS NOT NULL;

CREATE INDEX units_serial_rev ON units(serial_rev);
-- Does this customer own a unit whose serial ends with…? (a common tail).
CREATE INDEX units_customer_serial_rev ON units(customer_id, serial_rev);
