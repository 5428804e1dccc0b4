//! Access reviews (issue #32): an Administrator asks the people responsible to confirm, item by
//! item, that each person still needs what they hold — presets, per-user grants, team
//! memberships, access-group grants — each shown with what it gives (contacts reached, level)
//! and whether it was used in the review's window, from the audit log.
//!
//! - [`start`]: the review and its items, taken as a snapshot in a few set-based statements
//!   ([`snapshot`]); the reviewers are told.
//! - [`decide`]: a reviewer keeps or removes items; a removal is the same domain change the
//!   screens make (the team page's, the grant's, the wizard's), made with the authority of the
//!   Administrator who started the review and recorded as the reviewer's, via the review. A
//!   reviewer can only remove.
//! - [`deadline`]: at the deadline, what nobody decided is kept or removed as the review says;
//!   reminders a day before; a recurring review starts again.
//!
//! A review never takes part in an access decision: SPEC 3 reads assignments, not reviews.

pub mod deadline;
pub mod decide;
pub mod snapshot;

use crate::access::{authority, Denied, Subject};
use crate::audit::Actor;
use crate::db::schema::{access_review_items as i, access_reviews as r, users};
use crate::permissions::Perm;
use crate::validation::FieldErrors;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// Whose access a review covers.
pub const SCOPES: [(&str, &str); 5] = [
    ("everyone", "Everyone"),
    ("role", "The users of a role"),
    ("team", "The members of a team"),
    ("preset", "The holders of a preset"),
    ("grants", "Every access-group grant"),
];

/// Who decides.
pub const REVIEWERS: [(&str, &str); 3] =
    [("managers", "Each person's team manager (else you)"), ("named", "A named reviewer"), ("starter", "You")];

/// The longest window a review looks back on for use.
pub const WINDOW_DAYS: i64 = 90;

/// A review as started.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = r)]
pub struct Review {
    pub id: i64,
    pub name: String,
    pub scope: String,
    pub scope_value: String,
    pub reviewers: String,
    pub reviewer_id: Option<i64>,
    pub deadline: DateTime<Utc>,
    pub unanswered: String,
    pub every_months: Option<i32>,
    pub used_since: DateTime<Utc>,
    pub started_by: Option<i64>,
    pub started_at: DateTime<Utc>,
    pub reminded_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub follows: Option<i64>,
}

impl Review {
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }

    /// "Everyone", "The members of a team: Sales"…
    pub fn scope_words(&self, named: &str) -> String {
        let label = SCOPES.iter().find(|(k, _)| *k == self.scope).map_or("", |(_, l)| *l);
        if named.is_empty() {
            label.to_string()
        } else {
            format!("{label}: {named}")
        }
    }
}

/// One thing a person holds, as the review saw it.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = i)]
pub struct Item {
    pub id: i64,
    pub review_id: i64,
    pub reviewer_id: Option<i64>,
    pub user_id: Option<i64>,
    pub holder: String,
    pub kind: String,
    pub ref_id: Option<i64>,
    pub ref_key: String,
    pub what: String,
    pub reach: Option<i64>,
    pub used: bool,
    pub decision: Option<String>,
    pub comment: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    pub by_policy: bool,
    pub gone: bool,
}

impl Item {
    /// What the page suggests: remove what was not used.
    pub fn suggests_removal(&self) -> bool {
        !self.used
    }
}

/// A review to start, as checked.
#[derive(Debug, Clone)]
pub struct Spec {
    pub name: String,
    pub scope: String,
    pub scope_value: String,
    pub reviewers: String,
    pub reviewer_id: Option<i64>,
    pub deadline: DateTime<Utc>,
    pub unanswered: String,
    pub every_months: Option<i32>,
    pub window_days: i64,
}

/// The start form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SpecForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub preset: String,
    #[serde(default)]
    pub reviewers: String,
    #[serde(default)]
    pub reviewer_email: String,
    #[serde(default)]
    pub deadline: String,
    #[serde(default)]
    pub unanswered: String,
    #[serde(default)]
    pub every_months: String,
    #[serde(default)]
    pub window_days: String,
}

impl SpecForm {
    /// Checks the form; each problem beside its field.
    pub fn parse(&self, c: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<Result<Spec, FieldErrors>> {
        use crate::db::schema::{presets, teams};
        let mut e = FieldErrors::default();
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 120 {
            e.add("name", "Give the review a name of 1 to 120 characters.");
        }
        let scope_value = match self.scope.as_str() {
            "everyone" | "grants" => String::new(),
            "role" => match self.role.parse::<crate::permissions::Role>() {
                Ok(role) => role.as_str().to_string(),
                Err(()) => {
                    e.add("role", "Choose a role.");
                    String::new()
                }
            },
            "team" => {
                let exists =
                    |c: &mut PgConnection, t| teams::table.find(t).select(teams::id).first::<i64>(c).optional();
                chosen(c, &self.team, exists, "team", "Choose a team.", &mut e)?
            }
            "preset" => {
                let exists =
                    |c: &mut PgConnection, p| presets::table.find(p).select(presets::id).first::<i64>(c).optional();
                chosen(c, &self.preset, exists, "preset", "Choose a preset.", &mut e)?
            }
            _ => {
                e.add("scope", "Choose whose access to review.");
                String::new()
            }
        };
        let mut reviewer_id = None;
        match self.reviewers.as_str() {
            "managers" | "starter" => {}
            "named" => match crate::accounts::active_by_email(c, &self.reviewer_email)? {
                Ok(u) => reviewer_id = Some(u.id),
                Err(msg) => e.add("reviewer_email", msg),
            },
            _ => e.add("reviewers", "Choose who reviews."),
        }
        let deadline = match crate::access::ends::parse(&self.deadline, now) {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                e.add("deadline", "Set a deadline.");
                None
            }
            Err(msg) => {
                e.add("deadline", msg);
                None
            }
        };
        if !matches!(self.unanswered.as_str(), "keep" | "remove") {
            e.add("unanswered", "Choose what the deadline does to undecided items.");
        }
        let every_months = match self.every_months.trim() {
            "" => None,
            t => match t.parse::<i32>() {
                Ok(n) if (1..=24).contains(&n) => Some(n),
                _ => {
                    e.add("every_months", "Repeat every 1 to 24 months, or leave it empty.");
                    None
                }
            },
        };
        let window_days = match self.window_days.trim() {
            "" => WINDOW_DAYS,
            t => match t.parse::<i64>() {
                Ok(n) if (1..=366).contains(&n) => n,
                _ => {
                    e.add("window_days", "Look back 1 to 366 days.");
                    WINDOW_DAYS
                }
            },
        };
        Ok(match deadline {
            Some(deadline) if e.is_empty() => Ok(Spec {
                name,
                scope: self.scope.clone(),
                scope_value,
                reviewers: self.reviewers.clone(),
                reviewer_id,
                deadline,
                unanswered: self.unanswered.clone(),
                every_months,
                window_days,
            }),
            _ => Err(e),
        })
    }
}

/// The id typed in field `field` when `find` finds it, else `message` beside the field; as the
/// review stores it (text).
fn chosen(
    c: &mut PgConnection,
    typed: &str,
    find: impl FnOnce(&mut PgConnection, i64) -> QueryResult<Option<i64>>,
    field: &'static str,
    message: &'static str,
    e: &mut FieldErrors,
) -> QueryResult<String> {
    let found = match typed.trim().parse::<i64>() {
        Ok(id) => find(c, id)?,
        Err(_) => None,
    };
    if found.is_none() {
        e.add(field, message);
    }
    Ok(found.map(|id| id.to_string()).unwrap_or_default())
}

/// Starts a review: an Administrator only. Takes its snapshot, tells each reviewer, audits.
/// Returns the review's id and how many items it has.
pub fn start(c: &mut PgConnection, actor: &Actor, who: &Subject, spec: &Spec) -> Result<(i64, i64), Denied> {
    authority::reviews(who)?;
    let used_since = Utc::now() - chrono::Duration::days(spec.window_days);
    let id: i64 = diesel::insert_into(r::table)
        .values((
            r::name.eq(&spec.name),
            r::scope.eq(&spec.scope),
            r::scope_value.eq(&spec.scope_value),
            r::reviewers.eq(&spec.reviewers),
            r::reviewer_id.eq(spec.reviewer_id),
            r::deadline.eq(spec.deadline),
            r::unanswered.eq(&spec.unanswered),
            r::every_months.eq(spec.every_months),
            r::used_since.eq(used_since),
            r::started_by.eq(actor.id),
        ))
        .returning(r::id)
        .get_result(c)?;
    let items = snapshot::take(c, id)?;
    tell_reviewers(c, id, &format!("Access review “{}” asks you to confirm", spec.name))?;
    crate::audit::Entry::by(actor, "review.start", "access_review", id)
        .after(serde_json::json!({
            "name": spec.name, "scope": spec.scope, "scope_value": spec.scope_value, "reviewers": spec.reviewers,
            "deadline": spec.deadline, "unanswered": spec.unanswered, "every_months": spec.every_months, "items": items,
        }))
        .record(c)?;
    Ok((id, items))
}

/// Tells each reviewer with undecided items of review `id` how many, beginning with `opening`.
fn tell_reviewers(c: &mut PgConnection, id: i64, opening: &str) -> QueryResult<usize> {
    let counts: Vec<(Option<i64>, i64)> = i::table
        .filter(i::review_id.eq(id))
        .filter(i::decision.is_null())
        .group_by(i::reviewer_id)
        .select((i::reviewer_id, diesel::dsl::count_star()))
        .load(c)?;
    let rows: Vec<_> = counts
        .into_iter()
        .filter_map(|(reviewer, n)| {
            let items = if n == 1 { "1 item".to_string() } else { format!("{} items", crate::numbers::grouped(n)) };
            Some((
                crate::db::schema::notifications::user_id.eq(reviewer?),
                crate::db::schema::notifications::message.eq(format!("{opening} {items}: /reviews/{id}")),
            ))
        })
        .collect();
    diesel::insert_into(crate::db::schema::notifications::table).values(&rows).execute(c)
}

/// A review by id.
pub fn find(c: &mut PgConnection, id: i64) -> QueryResult<Option<Review>> {
    r::table.find(id).select(Review::as_select()).first(c).optional()
}

/// The reviews a user sees: every one for an Administrator; those with items for them for a
/// reviewer. Newest first.
pub fn list(c: &mut PgConnection, who: &Subject) -> QueryResult<Vec<(Review, i64, i64)>> {
    let mut q = r::table.order(r::id.desc()).select(Review::as_select()).into_boxed();
    if authority::reviews(who).is_err() {
        let mine = i::table.filter(i::reviewer_id.eq(who.user_id)).select(i::review_id);
        q = q.filter(r::id.eq_any(mine));
    }
    let reviews: Vec<Review> = q.limit(200).load(c)?;
    let ids: Vec<i64> = reviews.iter().map(|r| r.id).collect();
    let counts: Vec<(i64, i64, i64)> = crate::db::query(
        "SELECT review_id AS a, count(*) AS b, count(*) FILTER (WHERE decision IS NULL) AS c \
         FROM access_review_items WHERE review_id = ANY($1) GROUP BY review_id",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(&ids)
    .load::<Counts>(c)?
    .into_iter()
    .map(|x| (x.a, x.b, x.c))
    .collect();
    Ok(reviews
        .into_iter()
        .map(|rv| {
            let (n, open) = counts.iter().find(|(id, ..)| *id == rv.id).map_or((0, 0), |(_, n, o)| (*n, *o));
            (rv, n, open)
        })
        .collect())
}

#[derive(QueryableByName)]
struct Counts {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    a: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    b: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    c: i64,
}

/// The items of review `id` a user may see and decide: all of them for an Administrator, their
/// own for a reviewer; by person, then item. With each person's last sign-in.
pub fn items_for(c: &mut PgConnection, who: &Subject, id: i64) -> QueryResult<Vec<(Item, Option<DateTime<Utc>>)>> {
    let mut q = i::table
        .left_join(users::table.on(users::id.nullable().eq(i::user_id)))
        .filter(i::review_id.eq(id))
        .order((i::holder, i::id))
        .select((Item::as_select(), users::last_sign_in_at.nullable()))
        .into_boxed();
    if authority::reviews(who).is_err() {
        q = q.filter(i::reviewer_id.eq(who.user_id));
    }
    q.load(c)
}

/// The name of what a review covers (a team's or preset's name; a role's label).
pub fn scope_name(c: &mut PgConnection, rv: &Review) -> QueryResult<String> {
    use crate::db::schema::{presets, teams};
    let id = rv.scope_value.parse::<i64>().ok();
    Ok(match (rv.scope.as_str(), id) {
        ("team", Some(t)) => teams::table.find(t).select(teams::name).first(c).optional()?.unwrap_or_default(),
        ("preset", Some(p)) => presets::table.find(p).select(presets::name).first(c).optional()?.unwrap_or_default(),
        ("role", _) => {
            rv.scope_value.parse::<crate::permissions::Role>().map(|r| r.label().to_string()).unwrap_or_default()
        }
        _ => String::new(),
    })
}

/// The permission an audited action needed: how "used" is told for a preset or a per-user
/// grant (a person who made such a change in the window used a key that allows it). Viewing
/// is not recorded, so a key used only to look counts as unused.
pub fn perm_of_action(action: &str) -> Option<Perm> {
    Some(match action {
        "contact.create" => Perm::ContactsCreate,
        "contact.update" | "contact.tags" => Perm::ContactsEdit,
        "contact.delete" => Perm::ContactsDelete,
        "contact.import" => Perm::ContactsImport,
        "contact.export" => Perm::ContactsExport,
        "contact.set_main_owner"
        | "contact.add_co_owner"
        | "contact.remove_co_owner"
        | "contact.set_co_owner_read_only"
        | "contact.confidential"
        | "contact.bulk" => Perm::ContactsAssign,
        "send.batch" => Perm::EmailSend,
        "audit.export" => Perm::AdministrationAuditView,
        a if a.starts_with("template.") => Perm::TemplatesUpdate,
        "rule.create" => Perm::AutomationCreate,
        "rule.update" | "rule.enable" => Perm::AutomationUpdate,
        "rule.delete" => Perm::AutomationDelete,
        "rule.share" => Perm::AutomationShare,
        a if a.starts_with("preset.") => Perm::AdministrationPresetsManage,
        a if a.starts_with("team.") => Perm::AdministrationTeamsManage,
        a if a.starts_with("access_group.") || a.starts_with("segment.") => Perm::AdministrationAccessGroupsManage,
        a if a.starts_with("settings.") || a.starts_with("api_token.") || a.starts_with("form.") => {
            Perm::AdministrationSettings
        }
        "user.create"
        | "user.update"
        | "user.delete"
        | "user.deactivate"
        | "user.reactivate"
        | "user.presets"
        | "user.sign_out_everywhere"
        | "user.two_factor_reset" => Perm::AdministrationUsersManage,
        _ => return None,
    })
}

/// (id, name) of something to choose, by name.
pub type Choices = Vec<(i64, String)>;

/// What the start form chooses from: the teams, and the presets.
pub fn choices(c: &mut PgConnection) -> QueryResult<(Choices, Choices)> {
    use crate::db::schema::{presets, teams};
    let t = teams::table.order(teams::name).select((teams::id, teams::name)).load(c)?;
    let p = presets::table.order(presets::name).select((presets::id, presets::name)).load(c)?;
    Ok((t, p))
}

/// A review's report: the review, what it covers, each item with who decided it.
pub type Report = (Review, String, Vec<(Item, Option<String>)>);

/// The report of review `id` for `who` (an Administrator): the review, what it covers, and
/// every item with the email of whoever decided it. `None`: no such review.
pub fn report(c: &mut PgConnection, who: &Subject, id: i64) -> Result<Option<Report>, Denied> {
    authority::reviews(who)?;
    let Some(rv) = find(c, id)? else { return Ok(None) };
    let items = items_for(c, who, id)?;
    let ids: Vec<i64> = items.iter().filter_map(|(i, _)| i.decided_by).collect();
    let names: Vec<(i64, String)> =
        users::table.filter(users::id.eq_any(&ids)).select((users::id, users::email)).load(c)?;
    let rows = items
        .into_iter()
        .map(|(i, _)| {
            let by = i.decided_by.and_then(|d| names.iter().find(|(id, _)| *id == d).map(|(_, e)| e.clone()));
            (i, by)
        })
        .collect();
    let scope = scope_name(c, &rv)?;
    Ok(Some((rv, scope, rows)))
}
