-- A challenger model scoring in shadow (docs/SCORING.md): its score, its would-be decision and its version beside the
-- real decision, null where no challenger scored the transaction. Written by the one decision insert.
ALTER TABLE decisions ADD COLUMN challenger_score DOUBLE PRECISION NULL;
ALTER TABLE decisions ADD COLUMN challenger_decision TEXT NULL;
ALTER TABLE decisions ADD COLUMN challenger_version TEXT NULL;

-- `fraudstream models promote`: a request (who, when), claimed and applied by a running serve (the snapshot swap), or
-- refused with the reason; the versions before and after, and the instance that applied it.
CREATE TABLE model_promotions (
    seq BIGSERIAL PRIMARY KEY,
    requested_at TIMESTAMPTZ NOT NULL,
    requested_by TEXT NOT NULL,
    status TEXT NOT NULL,
    applied_at TIMESTAMPTZ NULL,
    instance TEXT NULL,
    from_version TEXT NULL,
    to_version TEXT NULL,
    detail TEXT NULL
);
CREATE INDEX ix_model_promotions_status ON model_promotions (status, seq);
