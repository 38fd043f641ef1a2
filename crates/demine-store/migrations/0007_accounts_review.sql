-- The shared registry (issue 11): accounts and tokens, review of operators' submissions,
-- idempotent field submissions and edit conflicts. Not GeoPackage layers.

CREATE TABLE users (
  username TEXT NOT NULL PRIMARY KEY,
  -- argon2id PHC string; the password itself is never stored.
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'planner', 'team_leader', 'qa_inspector', 'viewer')),
  organisation TEXT,
  -- QA inspectors: the organisations they are assigned to (JSON array).
  assigned TEXT NOT NULL DEFAULT '[]',
  disabled INTEGER NOT NULL DEFAULT 0,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until TEXT,
  created_at TEXT NOT NULL
);

-- Tokens are kept as SHA-256 hashes: a copy of the database gives no usable token.
CREATE TABLE tokens (
  token_hash TEXT NOT NULL PRIMARY KEY,
  username TEXT NOT NULL REFERENCES users(username),
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE INDEX tokens_username ON tokens(username);

-- Review: what an operator submits is stored as submitted, then approved or rejected by the
-- authority. Records written by the registry's own administrators are approved.
ALTER TABLE hazards ADD COLUMN review TEXT NOT NULL DEFAULT 'approved' CHECK (review IN ('submitted', 'approved', 'rejected'));
ALTER TABLE activities ADD COLUMN review TEXT NOT NULL DEFAULT 'approved' CHECK (review IN ('submitted', 'approved', 'rejected'));
ALTER TABLE finds ADD COLUMN review TEXT NOT NULL DEFAULT 'approved' CHECK (review IN ('submitted', 'approved', 'rejected'));
ALTER TABLE accidents ADD COLUMN review TEXT NOT NULL DEFAULT 'approved' CHECK (review IN ('submitted', 'approved', 'rejected'));
ALTER TABLE daily_progress ADD COLUMN review TEXT NOT NULL DEFAULT 'approved' CHECK (review IN ('submitted', 'approved', 'rejected'));
ALTER TABLE qa_inspections ADD COLUMN review TEXT NOT NULL DEFAULT 'approved' CHECK (review IN ('submitted', 'approved', 'rejected'));
ALTER TABLE hazards ADD COLUMN review_reason TEXT;
ALTER TABLE activities ADD COLUMN review_reason TEXT;
ALTER TABLE finds ADD COLUMN review_reason TEXT;
ALTER TABLE accidents ADD COLUMN review_reason TEXT;
ALTER TABLE daily_progress ADD COLUMN review_reason TEXT;
ALTER TABLE qa_inspections ADD COLUMN review_reason TEXT;

-- Field submissions by client UUID: the same id with the same body gets the original answer.
CREATE TABLE submissions (
  client_id TEXT NOT NULL PRIMARY KEY,
  username TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  status INTEGER NOT NULL,
  response TEXT NOT NULL,
  created_at TEXT NOT NULL
);

-- Edits based on a version that was replaced meanwhile: kept for review, never applied
-- silently, never dropped.
CREATE TABLE conflicts (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  kind TEXT NOT NULL,
  record_id TEXT NOT NULL,
  based_on INTEGER NOT NULL,
  stored_version INTEGER NOT NULL,
  proposed TEXT NOT NULL,
  username TEXT NOT NULL,
  organisation TEXT,
  created_at TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  resolution TEXT
);
