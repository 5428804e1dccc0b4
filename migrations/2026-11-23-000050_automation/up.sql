-- Automation rules (SPEC screen 14): owned by their creator; a trigger, optional conditions
-- and one action. An unshared rule acts only on contacts its owner can act on; a shared rule
-- acts on all contacts.

CREATE TABLE automation_rules (
    id                BIGSERIAL PRIMARY KEY,
    owner_id          BIGINT NOT NULL REFERENCES users(id),
    name              TEXT NOT NULL CHECK (length(trim(name)) > 0),
    trigger           TEXT NOT NULL CHECK (trigger IN ('contact_created','tag_added','form_submitted','imported')),
    -- For tag_added: the tag that fires the rule (NULL: any tag).
    trigger_tag       TEXT,
    -- Conditions (all must hold; NULL / FALSE: no condition).
    has_tag           TEXT,
    category          TEXT,
    no_main_owner     BOOLEAN NOT NULL DEFAULT FALSE,
    action            TEXT NOT NULL CHECK (action IN ('set_main_owner','add_co_owner','add_tag','add_access_group')),
    action_user_id    BIGINT REFERENCES users(id),
    action_read_only  BOOLEAN NOT NULL DEFAULT FALSE,
    action_tag        TEXT,
    -- A deleted group leaves the rule in place without its target (it then does nothing
    -- until edited), rather than deleting someone's rule behind their back.
    action_group_id   BIGINT REFERENCES access_groups(id) ON DELETE SET NULL,
    enabled           BOOLEAN NOT NULL DEFAULT TRUE,
    shared            BOOLEAN NOT NULL DEFAULT FALSE,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    version           INTEGER NOT NULL DEFAULT 1,
    CHECK (action NOT IN ('set_main_owner','add_co_owner') OR action_user_id IS NOT NULL),
    CHECK (action <> 'add_tag' OR action_tag IS NOT NULL)
);
-- Firing looks up the enabled rules of one trigger.
CREATE INDEX automation_rules_trigger_idx ON automation_rules (trigger, id) WHERE enabled;
CREATE INDEX automation_rules_owner_idx ON automation_rules (owner_id, id);
CREATE INDEX automation_rules_shared_idx ON automation_rules (id) WHERE shared;
CREATE INDEX automation_rules_action_user_idx ON automation_rules (action_user_id) WHERE action_user_id IS NOT NULL;
