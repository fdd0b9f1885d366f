-- Webhook ingest: per-app secrets, user mappings, the event log with its per-app sequence,
-- the calls and voicemails folded from it, and events no app claimed.

-- Per-app webhook secrets, AES-256-GCM encrypted (they must be usable for HMAC, so they
-- cannot be hashed). Several can be valid at once during a rotation.
CREATE TABLE webhook_secrets (
    id          uuid        PRIMARY KEY,
    app_id      uuid        NOT NULL REFERENCES apps (id),
    nonce       bytea       NOT NULL,
    ciphertext  bytea       NOT NULL,
    -- First and last 4 characters, safe to show.
    hint        text        NOT NULL,
    created_at  timestamptz NOT NULL,
    -- NULL while current; set when a rotation retires it.
    expires_at  timestamptz
);
CREATE INDEX webhook_secrets_app ON webhook_secrets (app_id, created_at DESC);

-- Which app user a Dialpad user is; routes legacy webhooks and filters by agent.
CREATE TABLE user_mappings (
    app_id          uuid        NOT NULL REFERENCES apps (id),
    dialpad_user_id bigint      NOT NULL CHECK (dialpad_user_id > 0),
    app_user_id     text        NOT NULL,
    email           text,
    display_name    text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CONSTRAINT user_mappings_pkey PRIMARY KEY (app_id, dialpad_user_id)
);
CREATE INDEX user_mappings_dialpad_user ON user_mappings (dialpad_user_id);
CREATE INDEX user_mappings_app_user ON user_mappings (app_id, app_user_id);

-- The last sequence number given to each app's events. Appends lock the app's row, so
-- sequence numbers are gap-free and in commit order per app.
CREATE TABLE app_sequences (
    app_id   uuid   PRIMARY KEY REFERENCES apps (id),
    last_seq bigint NOT NULL
);

-- Every verified event, once per app: the unique dedup key is enforced here, not by a
-- check-then-insert.
CREATE TABLE events (
    app_id          uuid        NOT NULL REFERENCES apps (id),
    seq             bigint      NOT NULL,
    dedup_key       text        NOT NULL,
    -- call, sms, agent_status, contact or unknown.
    kind            text        NOT NULL,
    call_id         bigint,
    state           text,
    -- Dialpad's event time, milliseconds since the epoch.
    event_timestamp bigint,
    -- Dialpad's target.id: the agent side, for per-user filtering.
    target_id       bigint,
    -- The verified JSON, unknown fields included.
    payload         jsonb       NOT NULL,
    received_at     timestamptz NOT NULL,
    PRIMARY KEY (app_id, seq),
    CONSTRAINT events_app_dedup UNIQUE (app_id, dedup_key)
);
CREATE INDEX events_app_call ON events (app_id, call_id, seq) WHERE call_id IS NOT NULL;

-- One row per call leg with its latest state (the state machine lives in the domain).
CREATE TABLE calls (
    app_id              uuid        NOT NULL REFERENCES apps (id),
    call_id             bigint      NOT NULL,
    state               text        NOT NULL,
    -- Event time (ms) of the event that set the state.
    state_at            bigint      NOT NULL,
    ended               boolean     NOT NULL,
    direction           text,
    external_number     text,
    internal_number     text,
    target              jsonb,
    contact             jsonb,
    -- target.id when the target is a user: the agent filter.
    target_user_id      bigint,
    master_call_id      bigint,
    entry_point_call_id bigint,
    operator_call_id    bigint,
    started_at          timestamptz NOT NULL,
    rang_at             timestamptz,
    connected_at        timestamptz,
    ended_at            timestamptz,
    duration_ms         bigint,
    was_recorded        boolean,
    last_event_at       bigint      NOT NULL,
    event_count         bigint      NOT NULL,
    last_seq            bigint      NOT NULL,
    PRIMARY KEY (app_id, call_id)
);
CREATE INDEX calls_app_started ON calls (app_id, started_at DESC, call_id DESC);
CREATE INDEX calls_app_target_started ON calls (app_id, target_user_id, started_at DESC);

-- One row per voicemail, however many notices announced it.
CREATE TABLE voicemails (
    id           uuid        PRIMARY KEY,
    app_id       uuid        NOT NULL REFERENCES apps (id),
    call_id      bigint,
    recording_id text,
    link         text,
    caller       text,
    callee       text,
    started_at   timestamptz,
    duration_ms  bigint,
    transcription text,
    target_id    bigint,
    uploaded     boolean     NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    last_seq     bigint      NOT NULL,
    -- started_at, else created_at: the listing order.
    sort_at      timestamptz NOT NULL
);
CREATE INDEX voicemails_app_sort ON voicemails (app_id, sort_at DESC, id DESC);
CREATE INDEX voicemails_app_call ON voicemails (app_id, call_id) WHERE call_id IS NOT NULL;
CREATE INDEX voicemails_app_recording ON voicemails (app_id, recording_id) WHERE recording_id IS NOT NULL;
CREATE INDEX voicemails_app_link ON voicemails (app_id, link) WHERE link IS NOT NULL;
CREATE INDEX voicemails_app_caller ON voicemails (app_id, caller) WHERE call_id IS NULL;

-- Legacy-route events no app claimed: kept, never dropped.
CREATE TABLE unrouted_events (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedup_key   text        NOT NULL,
    kind        text        NOT NULL,
    target_id   bigint,
    payload     jsonb       NOT NULL,
    received_at timestamptz NOT NULL,
    CONSTRAINT unrouted_events_dedup UNIQUE (dedup_key)
);
