-- Each app's Dialpad connection (OAuth 2.0 with PKCE), at most one per app. Both tokens are
-- AES-256-GCM ciphertexts (12-byte nonce, then ciphertext and tag) sealed with
-- TOKEN_ENCRYPTION_KEY, the app id and the token's purpose as associated data: no token is
-- stored in clear, and a row copied to another app, or a token moved to the other column,
-- does not decrypt.
CREATE TABLE dialpad_connections (
    app_id                  uuid        PRIMARY KEY REFERENCES apps (id),
    -- Dialpad ids are int64 sent as numbers or strings: kept as text.
    dialpad_company_id      text        NOT NULL,
    dialpad_user_id         text        NOT NULL,
    email                   text,
    scopes                  text[]      NOT NULL,
    connected_at            timestamptz NOT NULL,
    access_token            bytea       NOT NULL,
    refresh_token           bytea       NOT NULL,
    access_token_expires_at timestamptz NOT NULL,
    last_refreshed_at       timestamptz,
    status                  text        NOT NULL CHECK (status IN ('active', 'refresh_failed', 'reauth_required')),
    last_error              text,
    -- When the next refresh is due (about 80 % into the access token's lifetime, or a
    -- backoff after a failure); NULL: never again (reauth_required).
    next_refresh_at         timestamptz,
    refresh_failures        integer     NOT NULL DEFAULT 0 CHECK (refresh_failures >= 0),
    -- The lock of a token rotation: which holder (one instance's one attempt) has the row,
    -- until when. A rotating refresh token used twice logs the account out, so every
    -- rotation happens under a claim and its write is fenced by it.
    claimed_by              text,
    claimed_until           timestamptz
);

-- Every instance's refresher asks which connections are due, soonest first.
CREATE INDEX dialpad_connections_due ON dialpad_connections (next_refresh_at) WHERE next_refresh_at IS NOT NULL;
