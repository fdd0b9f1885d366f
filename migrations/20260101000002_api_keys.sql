-- Per-app API keys. Only the argon2id hash of each key's secret is stored; the key id is
-- public (it is part of the key) and is how a presented key is found.
CREATE TABLE api_keys (
    key_id       text        PRIMARY KEY,
    app_id       uuid        NOT NULL REFERENCES apps (id),
    -- argon2id PHC string of the secret part of the key.
    secret_hash  text        NOT NULL,
    -- First 8 and last 4 characters of the key, safe to show.
    hint         text        NOT NULL,
    -- active: the app's current key; grace: rotated out, valid until expires_at;
    -- revoked / expired: never valid again.
    state        text        NOT NULL CHECK (state IN ('active', 'grace', 'revoked', 'expired')),
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    -- Updated at most once a minute per key, off the request path.
    last_used_at timestamptz,
    CHECK (state <> 'grace' OR expires_at IS NOT NULL)
);

-- At most one active key per app, enforced by the database.
CREATE UNIQUE INDEX api_keys_one_active_per_app ON api_keys (app_id) WHERE state = 'active';
-- The expiry sweeper looks for due grace keys.
CREATE INDEX api_keys_grace_expiry ON api_keys (expires_at) WHERE state = 'grace';
CREATE INDEX api_keys_app ON api_keys (app_id);

-- Who did what to which key, when. Append-only.
CREATE TABLE api_key_audit (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id      uuid        NOT NULL REFERENCES apps (id),
    key_id      text        NOT NULL,
    hint        text        NOT NULL,
    action      text        NOT NULL CHECK (action IN ('generated', 'rotated', 'revoked', 'expired')),
    occurred_at timestamptz NOT NULL
);

-- The audit listing: one app's events, newest first.
CREATE INDEX api_key_audit_app_newest ON api_key_audit (app_id, id DESC);
