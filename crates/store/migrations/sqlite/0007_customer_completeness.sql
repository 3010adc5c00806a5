-- Completeness of customer records (R-CUS-3), kept on the record so that "incomplete
-- records" is a list and the share of complete records a count. The application writes both
-- columns in every transaction that changes a customer, its contacts, phones or sites (rule:
-- aftersales_domain::installed_base::completeness); this fills them for what is on file.
-- `missing` holds the codes of what is missing, separated by single spaces.

ALTER TABLE customers ADD COLUMN complete_pct BIGINT NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN missing TEXT NOT NULL DEFAULT '';

UPDATE customers SET missing = rtrim(
    (CASE WHEN EXISTS (SELECT 1 FROM customer_phones p WHERE p.customer_id = customers.id) THEN '' ELSE 'phone ' END) ||
    (CASE WHEN EXISTS (SELECT 1 FROM customer_contacts k WHERE k.customer_id = customers.id) THEN '' ELSE 'contact ' END) ||
    (CASE WHEN EXISTS (SELECT 1 FROM customer_sites s WHERE s.customer_id = customers.id) THEN '' ELSE 'address ' END) ||
    (CASE WHEN customers.region_code IS NOT NULL
            OR EXISTS (SELECT 1 FROM customer_sites s WHERE s.customer_id = customers.id AND s.region_code IS NOT NULL)
          THEN '' ELSE 'region ' END) ||
    (CASE WHEN customers.kind = 'company' AND customers.company IS NULL THEN 'company ' ELSE '' END));

UPDATE customers SET complete_pct =
    ((CASE WHEN kind = 'company' THEN 5 ELSE 4 END)
     - (CASE WHEN missing = '' THEN 0 ELSE length(missing) - length(replace(missing, ' ', '')) + 1 END))
    * 100 / (CASE WHEN kind = 'company' THEN 5 ELSE 4 END);

-- The incomplete records by number, without walking the complete ones.
CREATE INDEX customers_incomplete ON customers(number) WHERE complete_pct < 100;
