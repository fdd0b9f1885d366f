-- Apps: the tenants. Each app is one customer web application that receives Dialpad
-- events and queries them with its own API key.
CREATE TABLE apps (
    id          uuid        PRIMARY KEY,
    -- A human label; validated by the domain (1-100 characters, no control characters).
    name        text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    -- An inactive app keeps its data but every use of it answers 403.
    is_active   boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- The admin listing pages through apps in creation order.
CREATE INDEX apps_created_at_id ON apps (created_at, id);
