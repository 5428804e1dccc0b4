-- What a change came through when not a person at the screens, e.g. "SCIM token Okta": the
-- actor is then the token's creator, whose authority the change used.
ALTER TABLE audit_log ADD COLUMN via TEXT;
