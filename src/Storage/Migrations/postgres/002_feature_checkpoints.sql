-- Feature state checkpoints (docs/STATE.md): the whole feature state of an instance — every partition's cards, the
-- merchant and device graph, the label index — with the transactions offsets and labels offsets it reflects. Any
-- instance's checkpoint is a valid start for any other: every instance folds every partition into its features.
CREATE TABLE feature_checkpoints (
    seq BIGSERIAL PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    writer TEXT NOT NULL,
    schema_version TEXT NOT NULL,
    transactions_offsets TEXT NOT NULL,
    labels_offsets TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    state BYTEA NOT NULL
);

-- A partition taken over after its owner died: the decisions stored past its committed offset are redeliveries to
-- recognise (decided, not yet committed), read by partition and offset.
CREATE INDEX ix_decisions_source ON decisions (source_partition, source_offset);
