-- Decisions with the transaction they decided. id is the transaction id: the unique key that makes
-- a redelivered transaction impossible to store (and so to decide) twice.
CREATE TABLE decisions (
    id TEXT PRIMARY KEY,
    event_ts TEXT NOT NULL,
    card TEXT NOT NULL,
    merchant TEXT NOT NULL,
    category TEXT NOT NULL,
    amount REAL NOT NULL,
    currency TEXT NOT NULL,
    country TEXT NOT NULL,
    lat REAL NULL,
    lon REAL NULL,
    device TEXT NULL,
    channel TEXT NULL,
    decision TEXT NOT NULL,
    score REAL NULL,
    reasons TEXT NOT NULL,
    model_version TEXT NOT NULL,
    ruleset_version TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    latency_us INTEGER NOT NULL,
    source_partition INTEGER NOT NULL,
    source_offset INTEGER NOT NULL
);
CREATE INDEX ix_decisions_decided_at ON decisions (decided_at);
CREATE INDEX ix_decisions_card ON decisions (card);

CREATE TABLE labels (
    id TEXT PRIMARY KEY,
    fraud INTEGER NOT NULL,
    reported_at TEXT NOT NULL,
    source TEXT NOT NULL
);

CREATE TABLE dead_letters (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source_topic TEXT NOT NULL,
    source_partition INTEGER NOT NULL,
    source_offset INTEGER NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    payload BLOB NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (source_topic, source_partition, source_offset)
);

CREATE TABLE latency_seconds (
    second TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    p50_us INTEGER NOT NULL,
    p90_us INTEGER NOT NULL,
    p99_us INTEGER NOT NULL,
    p999_us INTEGER NOT NULL,
    max_us INTEGER NOT NULL,
    within_target REAL NOT NULL
);

CREATE TABLE review_queue (
    id TEXT PRIMARY KEY REFERENCES decisions (id),
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    analyst TEXT NULL,
    marked_at TEXT NULL
);
CREATE INDEX ix_review_queue_status ON review_queue (status, created_at);
