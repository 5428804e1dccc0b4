-- When the user last completed a sign-in (password, two-factor or single sign-on): the users list shows it and sorts by it.
ALTER TABLE users ADD COLUMN last_sign_in_at TIMESTAMPTZ;
