-- The agent's search box at scale (bench/search): "contains" searches answered from an
-- index instead of a scan of every customer and every phone.
--
-- A text contains q exactly when one of its suffixes starts with q, and "starts with" is a
-- range on a B-tree. So the suffixes of each phone's digits (of 3 digits or more: the
-- search box asks for 3), and the first 8 characters of the suffixes of each customer's
-- search_text (those not starting with a space: the search box trims), are kept here with
-- the customer's number (short, unique, never changed; a change is followed anyway).
-- Triggers keep them in step with customers and customer_phones. Phone suffixes are whole,
-- so a range match is a match; text suffixes are cut at 8 characters, so the text search
-- checks its candidates with the real LIKE.
-- The suffixes compare bytewise ("C"), as in SQLite, so that one range means the same on
-- both.

CREATE TABLE customer_phone_suffixes (
    suffix  TEXT COLLATE "C" NOT NULL,
    number  TEXT NOT NULL,
    PRIMARY KEY (suffix, number)
);

CREATE TABLE customer_text_suffixes (
    suffix  TEXT COLLATE "C" NOT NULL,
    number  TEXT NOT NULL,
    PRIMARY KEY (suffix, number)
);

CREATE FUNCTION customers_suffixes_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.search_text = NEW.search_text AND OLD.number = NEW.number THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM customer_text_suffixes WHERE number = OLD.number AND suffix IN
            (SELECT substr(OLD.search_text, n, 8) FROM generate_series(1, length(OLD.search_text)) AS n);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO customer_text_suffixes (suffix, number)
            SELECT substr(NEW.search_text, n, 8), NEW.number
            FROM generate_series(1, length(NEW.search_text)) AS n
            WHERE substr(NEW.search_text, n, 1) <> ' '
            ON CONFLICT DO NOTHING;
    END IF;
    -- A new number: the phones' suffixes follow it.
    IF TG_OP = 'UPDATE' AND OLD.number <> NEW.number THEN
        DELETE FROM customer_phone_suffixes WHERE number = OLD.number AND suffix IN
            (SELECT substr(ph.digits, n) FROM customer_phones ph,
                 generate_series(1, length(ph.digits) - 2) AS n WHERE ph.customer_id = OLD.id);
        INSERT INTO customer_phone_suffixes (suffix, number)
            SELECT substr(ph.digits, n), NEW.number FROM customer_phones ph,
                 generate_series(1, length(ph.digits) - 2) AS n WHERE ph.customer_id = NEW.id
            ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER customers_suffixes AFTER INSERT OR DELETE OR UPDATE OF search_text, number
    ON customers FOR EACH ROW EXECUTE FUNCTION customers_suffixes_sync();

-- A customer's suffixes are those of all its phones: after removing the old number's, put
-- back what the remaining phones still give (two phones may end alike).
CREATE FUNCTION customer_phones_suffixes_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.digits = NEW.digits AND OLD.customer_id = NEW.customer_id THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM customer_phone_suffixes
            WHERE number = (SELECT c.number FROM customers c WHERE c.id = OLD.customer_id)
            AND suffix IN (SELECT substr(OLD.digits, n) FROM generate_series(1, length(OLD.digits) - 2) AS n);
        INSERT INTO customer_phone_suffixes (suffix, number)
            SELECT substr(ph.digits, n), c.number FROM customer_phones ph
            JOIN customers c ON c.id = ph.customer_id, generate_series(1, length(ph.digits) - 2) AS n
            WHERE ph.customer_id = OLD.customer_id
            ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO customer_phone_suffixes (suffix, number)
            SELECT substr(NEW.digits, n), c.number FROM customers c,
                 generate_series(1, length(NEW.digits) - 2) AS n
            WHERE c.id = NEW.customer_id
            ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER customer_phones_suffixes AFTER INSERT OR DELETE OR UPDATE OF digits, customer_id
    ON customer_phones FOR EACH ROW EXECUTE FUNCTION customer_phones_suffixes_sync();

-- What is already on file.
INSERT INTO customer_text_suffixes (suffix, number)
    SELECT substr(c.search_text, n, 8), c.number FROM customers c,
        generate_series(1, length(c.search_text)) AS n
    WHERE substr(c.search_text, n, 1) <> ' '
    ON CONFLICT DO NOTHING;
INSERT INTO customer_phone_suffixes (suffix, number)
    SELECT substr(ph.digits, n), c.number FROM customer_phones ph
    JOIN customers c ON c.id = ph.customer_id, generate_series(1, length(ph.digits) - 2) AS n
    ON CONFLICT DO NOTHING;

-- Walking customers in name order (a common term: the first page comes early), reading
-- the search columns from the index alone.
CREATE INDEX customers_name_search ON customers(name, id) INCLUDE (search_text, number);
-- Does this customer own a unit whose serial starts with…? (a common serial prefix).
CREATE INDEX units_customer_serial ON units(customer_id, serial_norm);
