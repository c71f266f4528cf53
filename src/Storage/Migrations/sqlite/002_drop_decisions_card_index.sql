-- The embedded store drops the index on decisions(card): no query of the service reads decisions by card, and
-- on SQLite it was more than half of the insert cost (measured: 12.5 -> 5.3 us of CPU per stored decision, batches
-- of 1,000), because every batch dirties leaf pages all over a random-keyed index and each commit writes them
-- whole to the WAL. PostgreSQL keeps its card index (analysts' look-ups by card belong there).
DROP INDEX IF EXISTS ix_decisions_card;
