-- Up Migration
-- Whether a dead letter's original was too large to copy whole, in a column of its own. It was read from the
-- record's JSON, which failed for every listing once one record held a NUL (U+0000) in its key or a header:
-- PostgreSQL's json operators refuse to turn "\u0000" into text. DLQ records now carry such bytes as base64.
-- Rows indexed before are read as text: a DLQ record is JSON.stringify's output, in which `"truncated":true`
-- can only be that top-level field (a quote inside any string is escaped, and header values are strings).
ALTER TABLE dead_letters ADD COLUMN truncated boolean NOT NULL DEFAULT false;
UPDATE dead_letters SET truncated = true WHERE strpos(record, '"truncated":true') > 0;
