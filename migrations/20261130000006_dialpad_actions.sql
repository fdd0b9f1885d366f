-- Acting on Dialpad through the connection: what provisioning set up at Dialpad for the app
-- (written on its own, never by a token refresh), and the app's screen pop template.
ALTER TABLE dialpad_connections
    ADD COLUMN webhook_id      text,
    ADD COLUMN subscription_id text,
    ADD COLUMN provisioned_at  timestamptz,
    -- Why the last provisioning failed and how to retry; NULL after a successful one.
    ADD COLUMN provision_error text;

-- e.g. https://crm.example.com/lookup?phone={external_number}&call={call_id}: popped on the
-- agent's Dialpad when an inbound call rings; NULL: no automatic screen pop.
ALTER TABLE apps ADD COLUMN screen_pop_url text;
