-- Contacts and everything SPEC section 3 decides access by: owners, co-owners, teams,
-- access groups and their grants. Every access path has its own index, so "contacts user U
-- may see" is a UNION of index look-ups, never a scan.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE teams (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT NOT NULL,
    manager_id BIGINT REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX teams_name_lower_key ON teams (lower(name));
CREATE INDEX teams_manager_idx ON teams (manager_id);

CREATE TABLE team_members (
    team_id BIGINT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user_idx ON team_members (user_id, team_id);

CREATE TABLE access_groups (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX access_groups_name_lower_key ON access_groups (lower(name));

-- A grant gives a user, or every member of a team, a level on the contacts of a group.
CREATE TABLE access_group_grants (
    id       BIGSERIAL PRIMARY KEY,
    group_id BIGINT NOT NULL REFERENCES access_groups(id) ON DELETE CASCADE,
    user_id  BIGINT REFERENCES users(id) ON DELETE CASCADE,
    team_id  BIGINT REFERENCES teams(id) ON DELETE CASCADE,
    level    TEXT NOT NULL CHECK (level IN ('view','edit','act')),
    CHECK (num_nonnulls(user_id, team_id) = 1)
);
CREATE UNIQUE INDEX access_group_grants_user_key ON access_group_grants (group_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX access_group_grants_team_key ON access_group_grants (group_id, team_id) WHERE team_id IS NOT NULL;
CREATE INDEX access_group_grants_user_idx ON access_group_grants (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX access_group_grants_team_idx ON access_group_grants (team_id) WHERE team_id IS NOT NULL;

CREATE TABLE contacts (
    id            BIGSERIAL PRIMARY KEY,
    email         TEXT,
    first_name    TEXT NOT NULL DEFAULT '',
    last_name     TEXT NOT NULL DEFAULT '',
    phone         TEXT,
    company       TEXT NOT NULL DEFAULT '',
    category      TEXT,
    main_owner_id BIGINT REFERENCES users(id),
    confidential  BOOLEAN NOT NULL DEFAULT FALSE,
    version       INTEGER NOT NULL DEFAULT 1,
    created_by    BIGINT REFERENCES users(id),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Lower-cased name and email for search (trigram index below).
    search        TEXT GENERATED ALWAYS AS (lower(first_name || ' ' || last_name || ' ' || coalesce(email, ''))) STORED
);
CREATE UNIQUE INDEX contacts_email_lower_key ON contacts (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX contacts_main_owner_idx ON contacts (main_owner_id, id);
CREATE INDEX contacts_category_idx ON contacts (category, id);
CREATE INDEX contacts_search_trgm_idx ON contacts USING gin (search gin_trgm_ops);
CREATE INDEX contacts_confidential_idx ON contacts (id) WHERE confidential;
CREATE INDEX contacts_created_by_idx ON contacts (created_by);

-- Co-owners (the main owner is contacts.main_owner_id).
CREATE TABLE contact_owners (
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    read_only  BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (contact_id, user_id)
);
CREATE INDEX contact_owners_user_idx ON contact_owners (user_id, contact_id) INCLUDE (read_only);

CREATE TABLE contact_tags (
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    tag        TEXT NOT NULL,
    PRIMARY KEY (contact_id, tag)
);
CREATE INDEX contact_tags_tag_idx ON contact_tags (tag, contact_id);

CREATE TABLE contact_access_groups (
    contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    group_id   BIGINT NOT NULL REFERENCES access_groups(id) ON DELETE CASCADE,
    PRIMARY KEY (contact_id, group_id)
);
CREATE INDEX contact_access_groups_group_idx ON contact_access_groups (group_id, contact_id);

-- In-app notifications (owners hear when someone else changes their contact).
CREATE TABLE notifications (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    contact_id BIGINT REFERENCES contacts(id) ON DELETE SET NULL,
    message    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    read_at    TIMESTAMPTZ
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;
