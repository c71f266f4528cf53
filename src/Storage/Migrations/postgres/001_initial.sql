-- Decisions with the transaction they decided. id is the transaction id: the unique key that makes
-- a redelivered transaction impossible to store (and so to decide) twice.
CREATE TABLE decisions (
    id TEXT PRIMARY KEY,
    event_ts TIMESTAMPTZ NOT NULL,
    card TEXT NOT NULL,
    merchant TEXT NOT NULL,
    category TEXT NOT NULL,
    amount NUMERIC(18, 2) NOT NULL,
    currency TEXT NOT NULL,
    country TEXT NOT NULL,
    lat DOUBLE PRECISION NULL,
    lon DOUBLE PRECISION NULL,
    device TEXT NULL,
    channel TEXT NULL,
    decision TEXT NOT NULL,
    score DOUBLE PRECISION NULL,
    reasons TEXT NOT NULL,
    model_version TEXT NOT NULL,
    ruleset_version TEXT NOT NULL,
    decided_at TIMESTAMPTZ NOT NULL,
    latency_us BIGINT NOT NULL,
    source_partition INTEGER NOT NULL,
    source_offset BIGINT NOT NULL
);
CREATE INDEX ix_decisions_decided_at ON decisions (decided_at);
CREATE INDEX ix_decisions_card ON decisions (card);

CREATE TABLE labels (
    id TEXT PRIMARY KEY,
    fraud BOOLEAN NOT NULL,
    reported_at TIMESTAMPTZ NOT NULL,
    source TEXT NOT NULL
);

CREATE TABLE dead_letters (
    seq BIGSERIAL PRIMARY KEY,
    source_topic TEXT NOT NULL,
    source_partition INTEGER NOT NULL,
    source_offset BIGINT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    payload BYTEA NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    UNIQUE (source_topic, source_partition, source_offset)
);

CREATE TABLE latency_seconds (
    second TIMESTAMPTZ PRIMARY KEY,
    count BIGINT NOT NULL,
    p50_us BIGINT NOT NULL,
    p90_us BIGINT NOT NULL,
    p99_us BIGINT NOT NULL,
    p999_us BIGINT NOT NULL,
    max_us BIGINT NOT NULL,
    within_target DOUBLE PRECISION NOT NULL
);

CREATE TABLE review_queue (
    id TEXT PRIMARY KEY REFERENCES decisions (id),
    created_at TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    analyst TEXT NULL,
    marked_at TIMESTAMPTZ NULL
);
CREATE INDEX ix_review_queue_status ON review_queue (status, created_at);
