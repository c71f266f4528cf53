-- The model registry (docs/SCORING.md, "Registry"): the package of every promoted version, its files in one archive
-- and the archive's sha256, stored by the instance that applied the promotion, in the transaction of its `applied`
-- row. An instance whose champion is not the latest applied promotion's version fetches it from here.
CREATE TABLE model_packages (
    version TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    package BLOB NOT NULL,
    stored_at TEXT NOT NULL,
    stored_by TEXT NOT NULL
);
