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
-- The PostgreSQL tree has the same tables (bytewise "C" order there, as here).

CREATE TABLE customer_phone_suffixes (
    suffix  TEXT NOT NULL,
    number  TEXT NOT NULL,
    PRIMARY KEY (suffix, number)
) WITHOUT ROWID;

CREATE TABLE customer_text_suffixes (
    suffix  TEXT NOT NULL,
    number  TEXT NOT NULL,
    PRIMARY KEY (suffix, number)
) WITHOUT ROWID;

-- 1..1000: character positions, for the triggers (SQLite allows no recursive WITH in a
-- trigger). search_text is at most about 400 characters (name and company of 100 each,
-- their initials), phone digits at most 20.
CREATE TABLE search_positions (n INTEGER PRIMARY KEY);
INSERT INTO search_positions (n)
    WITH RECURSIVE p(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM p WHERE n < 1000)
    SELECT n FROM p;

CREATE TRIGGER customers_suffixes_insert AFTER INSERT ON customers
BEGIN
    INSERT OR IGNORE INTO customer_text_suffixes (suffix, number)
        SELECT substr(NEW.search_text, p.n, 8), NEW.number
        FROM search_positions p
        WHERE p.n <= length(NEW.search_text) AND substr(NEW.search_text, p.n, 1) <> ' ';
END;

CREATE TRIGGER customers_suffixes_update AFTER UPDATE OF search_text, number ON customers
    WHEN OLD.search_text IS NOT NEW.search_text OR OLD.number IS NOT NEW.number
BEGIN
    DELETE FROM customer_text_suffixes WHERE number = OLD.number AND suffix IN
        (SELECT substr(OLD.search_text, p.n, 8) FROM search_positions p
         WHERE p.n <= length(OLD.search_text));
    INSERT OR IGNORE INTO customer_text_suffixes (suffix, number)
        SELECT substr(NEW.search_text, p.n, 8), NEW.number
        FROM search_positions p
        WHERE p.n <= length(NEW.search_text) AND substr(NEW.search_text, p.n, 1) <> ' ';
    -- A new number: the phones' suffixes follow it.
    DELETE FROM customer_phone_suffixes WHERE OLD.number IS NOT NEW.number
        AND number = OLD.number AND suffix IN
        (SELECT substr(ph.digits, p.n) FROM customer_phones ph
         JOIN search_positions p ON p.n <= length(ph.digits) - 2 WHERE ph.customer_id = OLD.id);
    INSERT OR IGNORE INTO customer_phone_suffixes (suffix, number)
        SELECT substr(ph.digits, p.n), NEW.number FROM customer_phones ph
        JOIN search_positions p ON p.n <= length(ph.digits) - 2
        WHERE OLD.number IS NOT NEW.number AND ph.customer_id = NEW.id;
END;

CREATE TRIGGER customers_suffixes_delete AFTER DELETE ON customers
BEGIN
    DELETE FROM customer_text_suffixes WHERE number = OLD.number AND suffix IN
        (SELECT substr(OLD.search_text, p.n, 8) FROM search_positions p
         WHERE p.n <= length(OLD.search_text));
END;

CREATE TRIGGER customer_phones_suffixes_insert AFTER INSERT ON customer_phones
BEGIN
    INSERT OR IGNORE INTO customer_phone_suffixes (suffix, number)
        SELECT substr(NEW.digits, p.n), c.number FROM customers c
        JOIN search_positions p ON p.n <= length(NEW.digits) - 2
        WHERE c.id = NEW.customer_id;
END;

-- A customer's suffixes are those of all its phones: after removing the old number's,
-- put back what the remaining phones still give (two phones may end alike).
CREATE TRIGGER customer_phones_suffixes_delete AFTER DELETE ON customer_phones
BEGIN
    DELETE FROM customer_phone_suffixes
        WHERE number = (SELECT c.number FROM customers c WHERE c.id = OLD.customer_id)
        AND suffix IN (SELECT substr(OLD.digits, p.n) FROM search_positions p
                       WHERE p.n <= length(OLD.digits) - 2);
    INSERT OR IGNORE INTO customer_phone_suffixes (suffix, number)
        SELECT substr(ph.digits, p.n), c.number FROM customer_phones ph
        JOIN customers c ON c.id = ph.customer_id
        JOIN search_positions p ON p.n <= length(ph.digits) - 2
        WHERE ph.customer_id = OLD.customer_id;
END;

CREATE TRIGGER customer_phones_suffixes_update AFTER UPDATE OF digits, customer_id ON customer_phones
    WHEN OLD.digits IS NOT NEW.digits OR OLD.customer_id IS NOT NEW.customer_id
BEGIN
    DELETE FROM customer_phone_suffixes
        WHERE number = (SELECT c.number FROM customers c WHERE c.id = OLD.customer_id)
        AND suffix IN (SELECT substr(OLD.digits, p.n) FROM search_positions p
                       WHERE p.n <= length(OLD.digits) - 2);
    INSERT OR IGNORE INTO customer_phone_suffixes (suffix, number)
        SELECT substr(ph.digits, p.n), c.number FROM customer_phones ph
        JOIN customers c ON c.id = ph.customer_id
        JOIN search_positions p ON p.n <= length(ph.digits) - 2
        WHERE ph.customer_id IN (OLD.customer_id, NEW.customer_id);
END;

-- What is already on file.
INSERT OR IGNORE INTO customer_text_suffixes (suffix, number)
    SELECT substr(c.search_text, p.n, 8), c.number FROM customers c
    JOIN search_positions p ON p.n <= length(c.search_text)
    WHERE substr(c.search_text, p.n, 1) <> ' ';
INSERT OR IGNORE INTO customer_phone_suffixes (suffix, number)
    SELECT substr(ph.digits, p.n), c.number FROM customer_phones ph
    JOIN customers c ON c.id = ph.customer_id
    JOIN search_positions p ON p.n <= length(ph.digits) - 2;

-- Walking customers in name order (a common term: the first page comes early), reading
-- the search columns from the index alone.
CREATE INDEX customers_name_search ON customers(name, id, search_text, number);
-- Does this customer own a unit whose serial starts with…? (a common serial prefix).
CREATE INDEX units_customer_serial ON units(customer_id, serial_norm);
