//! What the start page shows a signed-in user: what they come to do, by what they hold. Each
//! panel is given only to someone who may open the screens it counts and links to (the same
//! keys the navigation and those screens check), so a count never tells more than the screen
//! behind it would. Every panel is one statement.

use crate::access::{authority, Subject};
use crate::audit::Row;
use crate::notifications::Notification;
use crate::permissions::Perm;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};

/// The organisation's people, for whoever may open the users list.
#[derive(QueryableByName, Debug, Clone, Default)]
pub struct People {
    #[diesel(sql_type = BigInt)]
    pub active: i64,
    #[diesel(sql_type = BigInt)]
    pub deactivated: i64,
    /// Active users whose role must use two-step sign-in and who have not set it up.
    #[diesel(sql_type = BigInt)]
    pub missing_two_factor: i64,
    #[diesel(sql_type = BigInt)]
    pub presets: i64,
}

pub fn people(conn: &mut PgConnection, s: &Subject) -> QueryResult<Option<People>> {
    if authority::read_users(s).is_err() {
        return Ok(None);
    }
    crate::db::query(
        "SELECT count(*) FILTER (WHERE u.status = 'active') AS active, \
                count(*) FILTER (WHERE u.status = 'deactivated') AS deactivated, \
                count(*) FILTER (WHERE u.status = 'active' AND u.role IN (SELECT role FROM two_factor_roles) \
                  AND NOT EXISTS (SELECT 1 FROM two_factor t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL)) \
                  AS missing_two_factor, \
                (SELECT count(*) FROM presets) AS presets \
         FROM users u WHERE u.status <> 'deleted'",
    )
    .get_result(conn)
    .map(Some)
}

/// Background work of the last week: bulk runs and imports waiting, running or failed.
#[derive(QueryableByName, Debug, Clone, Default)]
pub struct Work {
    #[diesel(sql_type = BigInt)]
    pub runs_under_way: i64,
    #[diesel(sql_type = BigInt)]
    pub runs_failed: i64,
    #[diesel(sql_type = BigInt)]
    pub imports_under_way: i64,
    #[diesel(sql_type = BigInt)]
    pub imports_failed: i64,
}

/// Everyone's background work, for a reader of the audit log (who may open everyone's runs).
pub fn work(conn: &mut PgConnection, s: &Subject) -> QueryResult<Option<Work>> {
    if !s.perms.contains(Perm::AdministrationAuditView) {
        return Ok(None);
    }
    crate::db::query(
        "SELECT (SELECT count(*) FROM bulk_runs WHERE status = 'queued') AS runs_under_way, \
                (SELECT count(*) FROM bulk_runs WHERE status = 'failed' AND created_at > now() - interval '7 days') AS runs_failed, \
                (SELECT count(*) FROM import_jobs WHERE status = 'running') AS imports_under_way, \
                (SELECT count(*) FROM import_jobs WHERE status = 'failed' AND created_at > now() - interval '7 days') AS imports_failed",
    )
    .get_result(conn)
    .map(Some)
}

/// The newest changes others made, told as sentences, for a reader of the audit log.
pub fn changes_by_others(conn: &mut PgConnection, s: &Subject, limit: i64) -> QueryResult<Option<Vec<Row>>> {
    if !s.perms.contains(Perm::AdministrationAuditView) {
        return Ok(None);
    }
    crate::audit::read::recent_by_others(conn, s, limit).map(Some)
}

/// Access that ends within a week, for an Administrator (who sees every user, team, group and
/// contact it names); soonest first, at most `limit`.
pub fn ending_soon(conn: &mut PgConnection, s: &Subject, limit: i64) -> QueryResult<Option<Vec<crate::expiry::Soon>>> {
    if !s.administrator {
        return Ok(None);
    }
    crate::expiry::ending_within(conn, 7 * 86_400, limit).map(Some)
}

/// A team the user manages, with its members.
#[derive(QueryableByName, Debug, Clone)]
pub struct Team {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = BigInt)]
    pub members: i64,
}

/// The teams the user manages (their members' contacts are theirs to see, SPEC 3).
pub fn managed_teams(conn: &mut PgConnection, s: &Subject) -> QueryResult<Vec<Team>> {
    crate::db::query(
        "SELECT t.id, t.name, (SELECT count(*) FROM team_members m WHERE m.team_id = t.id) AS members \
         FROM teams t WHERE t.manager_id = $1 ORDER BY t.name",
    )
    .bind::<BigInt, _>(s.user_id)
    .load(conn)
}

/// What the user writes and sends: their templates and rules, and their last batches.
#[derive(Debug, Clone, Default)]
pub struct Messaging {
    /// `None`: the user may not open templates (or rules).
    pub templates: Option<i64>,
    pub rules: Option<i64>,
    /// `None`: the user may not send.
    pub batches: Option<Vec<Batch>>,
}

/// A batch the user sent.
#[derive(QueryableByName, Debug, Clone)]
pub struct Batch {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = BigInt)]
    pub recipients: i64,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    pub template: Option<String>,
}

#[derive(QueryableByName)]
struct Counts {
    #[diesel(sql_type = BigInt)]
    templates: i64,
    #[diesel(sql_type = BigInt)]
    rules: i64,
}

pub fn messaging(conn: &mut PgConnection, s: &Subject) -> QueryResult<Messaging> {
    let sends = s.perms.contains(Perm::EmailSend) || s.perms.contains(Perm::SmsSend);
    let (templates, rules) = (s.perms.contains(Perm::TemplatesView), s.perms.contains(Perm::AutomationView));
    let mut out = Messaging::default();
    if templates || rules {
        let c: Counts = crate::db::query(
            "SELECT (SELECT count(*) FROM message_templates WHERE owner_id = $1) AS templates, \
                    (SELECT count(*) FROM automation_rules WHERE owner_id = $1) AS rules",
        )
        .bind::<BigInt, _>(s.user_id)
        .get_result(conn)?;
        out.templates = templates.then_some(c.templates);
        out.rules = rules.then_some(c.rules);
    }
    if sends {
        out.batches = Some(
            crate::db::query(
                "SELECT b.id, b.channel, b.recipients::bigint AS recipients, b.created_at, t.name AS template \
                 FROM send_batches b LEFT JOIN message_templates t ON t.id = b.template_id \
                 WHERE b.created_by = $1 ORDER BY b.id DESC LIMIT 3",
            )
            .bind::<BigInt, _>(s.user_id)
            .load(conn)?,
        );
    }
    Ok(out)
}

/// The user's newest notifications.
pub fn notifications(conn: &mut PgConnection, s: &Subject, limit: i64) -> QueryResult<Vec<Notification>> {
    crate::notifications::recent(conn, s.user_id, limit)
}

/// An open access review with items waiting for the user's decision.
#[derive(QueryableByName, Debug, Clone)]
pub struct ToReview {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Timestamptz)]
    pub deadline: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = BigInt)]
    pub items: i64,
}

/// The open reviews that wait for the user's decisions (a reviewer reaches their review from
/// here, or from the notice that asked them). One statement, by the index of undecided items.
pub fn to_review(conn: &mut PgConnection, s: &Subject) -> QueryResult<Vec<ToReview>> {
    crate::db::query(
        "SELECT r.id, r.name, r.deadline, count(*) AS items FROM access_review_items i \
         JOIN access_reviews r ON r.id = i.review_id \
         WHERE i.reviewer_id = $1 AND i.decision IS NULL AND r.closed_at IS NULL \
         GROUP BY r.id, r.name, r.deadline ORDER BY r.deadline",
    )
    .bind::<BigInt, _>(s.user_id)
    .load(conn)
}
