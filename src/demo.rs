//! Demo data for `--demo`: one user per role, two teams, three access groups and 10,000
//! contacts whose owners, co-owners, tags, categories, groups and flags exercise every rule of
//! SPEC section 3; a grant that ends in five days, and an access review of the Sales team.

use crate::accounts::{self as model, NewUser};
use crate::permissions::Role;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

/// The password of every demo login.
pub const DEMO_PASSWORD: &str = "custodian-demo-2026";

/// The demo login with two-factor on, and its secret (documented in README.md, so anyone can
/// add it to an authenticator app and try the two-step sign-in).
pub const DEMO_TWO_FACTOR: (&str, &str) = ("manager@example.com", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");

/// (email, first name, last name, role) of the demo users.
pub const DEMO_USERS: &[(&str, &str, &str, Role)] = &[
    ("admin@example.com", "Ada", "Admin", Role::Administrator),
    ("manager@example.com", "Max", "Manager", Role::Manager),
    ("marketer@example.com", "Mia", "Marketer", Role::Marketer),
    ("sales@example.com", "Sam", "Sales", Role::Salesperson),
    ("operator@example.com", "Olga", "Operator", Role::SendingOperator),
    ("user@example.com", "Uma", "User", Role::User),
    ("sales2@example.com", "Sid", "Seller", Role::Salesperson),
];

/// Seeds the demo organisation once (does nothing when admin@example.com exists).
pub fn seed(conn: &mut PgConnection) -> anyhow::Result<()> {
    if model::find_by_email(conn, DEMO_USERS[0].0)?.is_some() {
        tracing::info!("demo data already present");
        return Ok(());
    }
    let hash = crate::auth::password::hash(DEMO_PASSWORD)?;
    conn.transaction(|c| -> anyhow::Result<()> {
        for (email, first, last, role) in DEMO_USERS {
            let user = model::create(
                c,
                &NewUser {
                    email,
                    first_name: first,
                    last_name: last,
                    phone: None,
                    password_hash: &hash,
                    role: role.as_str(),
                },
            )?;
            if *email == DEMO_TWO_FACTOR.0 {
                crate::auth::two_factor::enrol_with(c, user.id, DEMO_TWO_FACTOR.1)?;
            }
        }
        c.batch_execute(CONTACTS_SQL)?;
        review(c)?;
        crate::audit::Entry::new(None, "demo.seed", "system", "demo").record(c)?;
        Ok(())
    })?;
    tracing::info!("demo data seeded; every demo login uses the password {DEMO_PASSWORD}");
    Ok(())
}

/// An access review of the Sales team, due in two weeks, for its manager to decide.
fn review(c: &mut PgConnection) -> anyhow::Result<()> {
    let admin = model::find_by_email(c, DEMO_USERS[0].0)?.ok_or_else(|| anyhow::anyhow!("no demo administrator"))?;
    let who = crate::access::facts::subject(c, admin.id)?.ok_or_else(|| anyhow::anyhow!("no demo administrator"))?;
    let sales: i64 = {
        use crate::db::schema::teams;
        teams::table.filter(teams::name.eq("Sales")).select(teams::id).first(c)?
    };
    let spec = crate::reviews::Spec {
        name: "Sales team, quarterly".into(),
        scope: "team".into(),
        scope_value: sales.to_string(),
        reviewers: "managers".into(),
        reviewer_id: None,
        deadline: chrono::Utc::now() + chrono::Duration::days(14),
        unanswered: "keep".into(),
        every_months: Some(3),
        window_days: crate::reviews::WINDOW_DAYS,
    };
    let actor = crate::audit::Actor { id: admin.id, ip: None, via: Some("demo data".into()) };
    crate::reviews::start(c, &actor, &who, &spec)?;
    Ok(())
}

/// Set-based seeding: a few statements, whatever the number of contacts.
const CONTACTS_SQL: &str = r#"
CREATE TEMP TABLE demo_u ON COMMIT DROP AS
  SELECT id, split_part(email, '@', 1) AS k FROM users WHERE email LIKE '%@example.com';

-- Teams: the manager manages Sales (Sam, Sid); Uma leads Marketing with Mia.
INSERT INTO teams (name, manager_id) VALUES
  ('Sales', (SELECT id FROM demo_u WHERE k = 'manager')),
  ('Marketing', (SELECT id FROM demo_u WHERE k = 'user'));
INSERT INTO team_members (team_id, user_id)
  SELECT t.id, u.id FROM teams t JOIN demo_u u ON (t.name = 'Sales' AND u.k IN ('sales', 'sales2'))
                                              OR (t.name = 'Marketing' AND u.k IN ('marketer', 'user'));

INSERT INTO access_groups (name, description) VALUES
  ('Poland', 'Contacts in Poland'),
  ('Finland', 'Contacts in Finland'),
  ('Partners', 'Partner companies');
INSERT INTO access_group_grants (group_id, team_id, user_id, level)
  SELECT g.id, t.id, NULL::bigint, 'edit' FROM access_groups g, teams t WHERE g.name = 'Poland' AND t.name = 'Sales'
  UNION ALL SELECT g.id, t.id, NULL::bigint, 'act' FROM access_groups g, teams t WHERE g.name = 'Finland' AND t.name = 'Marketing'
  UNION ALL SELECT g.id, NULL::bigint, u.id, 'view' FROM access_groups g, demo_u u WHERE g.name = 'Partners' AND u.k = 'sales'
  -- The sending operator sends to Finland's contacts (level act: edit and send).
  UNION ALL SELECT g.id, NULL::bigint, u.id, 'act' FROM access_groups g, demo_u u WHERE g.name = 'Finland' AND u.k = 'operator';

-- A shared newsletter template the marketer wrote: what the sending operator sends.
INSERT INTO message_templates (owner_id, name, channel, subject, body, shared)
SELECT id, 'Monthly newsletter', 'email', 'News from us, {first_name}', 'Hello {first_name}, here is what is new this month.', TRUE
FROM demo_u WHERE k = 'marketer';

-- 10,000 contacts spread over the owners (some have no main owner).
INSERT INTO contacts (email, first_name, last_name, phone, company, category, main_owner_id, created_by)
SELECT 'contact' || n || '@' || (ARRAY['acme.pl','nordic.fi','example.org','partner.com'])[1 + n % 4],
       (ARRAY['Anna','Jan','Piotr','Eva','Mikko','Aino','Tomas','Lena','Marek','Sofia'])[1 + n % 10],
       (ARRAY['Nowak','Virtanen','Novak','Kowalski','Korhonen','Svoboda','Dubois','Wisniewska'])[1 + (n / 10) % 8],
       CASE WHEN n % 3 = 0 THEN '+4860' || lpad((n * 7919 % 10000000)::text, 7, '0') END,
       (ARRAY['Acme','Nordic Oy','Example Inc','Partner SA'])[1 + n % 4],
       (ARRAY['lead','customer','partner','press'])[1 + (n / 7) % 4],
       CASE WHEN n % 11 = 0 THEN NULL
            ELSE (SELECT id FROM demo_u WHERE k = (ARRAY['sales','sales2','user','marketer','manager'])[1 + n % 5]) END,
       (SELECT id FROM demo_u WHERE k = 'admin')
FROM generate_series(1, 10000) AS n;

-- Co-owners: Sid co-owns Sam's every 5th contact, read-only on half of them.
INSERT INTO contact_owners (contact_id, user_id, read_only)
SELECT c.id, (SELECT id FROM demo_u WHERE k = 'sales2'), c.id % 2 = 0
FROM contacts c WHERE c.main_owner_id = (SELECT id FROM demo_u WHERE k = 'sales') AND c.id % 5 = 0;
INSERT INTO contact_owners (contact_id, user_id, read_only)
SELECT c.id, (SELECT id FROM demo_u WHERE k = 'sales'), TRUE
FROM contacts c WHERE c.main_owner_id = (SELECT id FROM demo_u WHERE k = 'user') AND c.id % 9 = 0;

INSERT INTO contact_tags (contact_id, tag)
SELECT c.id, t FROM contacts c, LATERAL unnest(ARRAY[
  CASE WHEN c.id % 2 = 0 THEN 'newsletter' END,
  CASE WHEN c.id % 3 = 0 THEN 'vip' END,
  CASE WHEN c.id % 5 = 0 THEN 'webinar-2026' END]) AS t
WHERE t IS NOT NULL;

INSERT INTO contact_access_groups (contact_id, group_id)
SELECT c.id, g.id FROM contacts c JOIN access_groups g
  ON (g.name = 'Poland' AND c.email LIKE '%.pl') OR (g.name = 'Finland' AND c.email LIKE '%.fi')
  OR (g.name = 'Partners' AND c.category = 'partner');

-- Access given for a time: Sam's own grant of Partners ends in five days (the Administrator's
-- start page lists it; Sam and the Administrator are told three days before).
UPDATE access_group_grants SET ends_at = now() + interval '5 days', ends_set_by = (SELECT id FROM demo_u WHERE k = 'admin')
WHERE user_id = (SELECT id FROM demo_u WHERE k = 'sales');

-- Confidential: a few of Uma's contacts (hidden from the team and groups that would reach them).
UPDATE contacts SET confidential = TRUE
WHERE main_owner_id = (SELECT id FROM demo_u WHERE k = 'user') AND id % 97 = 0;
"#;
