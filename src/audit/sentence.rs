//! An audit entry told as a sentence, the way a person would say it: "Ada Admin added Sid
//! Seller to team “Sales”", "Max Manager made Sid Seller main owner of Anna Nowak", "Sam Sales
//! ran bulk run #3, changing 1,819 contacts". People and objects are named (from
//! [`super::names`]) and linked to their pages; the field table stays behind it for
//! whoever wants the detail. Told before the before/after are given names for people
//! ([`super::query::name_users`]), while they still hold ids.

use super::names::Names;
use super::row::{Part, Row};
use crate::numbers::grouped;
use serde_json::Value;

/// Builds a sentence piece by piece.
struct Told<'a> {
    names: &'a Names,
    parts: Vec<Part>,
}

impl Told<'_> {
    fn text(&mut self, t: &str) -> &mut Self {
        match self.parts.last_mut() {
            Some(Part::Text(s)) => s.push_str(t),
            _ => self.parts.push(Part::Text(t.to_string())),
        }
        self
    }

    fn link(&mut self, (name, href): (String, Option<String>)) -> &mut Self {
        match href {
            Some(h) => self.parts.push(Part::Link(name, h)),
            None => {
                self.text(&name);
            }
        }
        self
    }

    /// A user by id, linked to their card.
    fn user(&mut self, id: i64) -> &mut Self {
        let name = self.names.get("user", id).map_or_else(|| format!("user #{id}"), str::to_string);
        self.link((name, Some(format!("/users/{id}"))))
    }

    /// `phrase` with its `{}` replaced by the entry's object.
    fn phrase(&mut self, phrase: &str, object: (String, Option<String>)) -> &mut Self {
        match phrase.split_once("{}") {
            Some((before, after)) => self.text(before).link(object).text(after),
            None => self.text(phrase),
        }
    }
}

/// Tells each of `rows` as a sentence, with one statement for all the names they need. Call
/// it after [`super::query::redact`] (a hidden contact is then not named) and before
/// [`super::query::name_users`] (which turns the ids it reads into text).
pub fn tell_all(conn: &mut diesel::PgConnection, rows: &mut [Row]) -> diesel::QueryResult<()> {
    let names = super::names::load(conn, rows)?;
    for r in rows.iter_mut() {
        r.told = tell(r, &names);
    }
    Ok(())
}

/// The entry `r` as a sentence.
pub fn tell(r: &Row, names: &Names) -> Vec<Part> {
    let mut t = Told { names, parts: Vec::new() };
    match (&r.via, r.actor_id) {
        (Some(via), Some(id)) => t.text(via).text(" (acting for ").user(id).text(")"),
        (Some(via), None) => t.text(via),
        (None, Some(id)) => t.user(id),
        (None, None) => t.text("The system"),
    };
    let object = object_name(r, names);
    let user = |key: &str| r.field(key).and_then(Value::as_i64);
    let count = |key: &str| grouped(r.field(key).and_then(Value::as_i64).unwrap_or(0));
    let read_only = r.field("read_only").and_then(Value::as_bool).unwrap_or(false);
    match r.action.as_str() {
        "contact.set_main_owner" => match user("to") {
            Some(to) => t.text(" made ").user(to).phrase(" main owner of {}", object),
            None => t.phrase(" removed the main owner of {}", object),
        },
        "contact.add_co_owner"
        | "contact.set_co_owner_read_only"
        | "contact.remove_co_owner"
        | "contact.co_owner_ended" => {
            let (verb, role) = match (r.action.as_str(), read_only) {
                ("contact.add_co_owner", true) => (" added ", " as a read-only co-owner of {}"),
                ("contact.add_co_owner", false) => (" added ", " as a co-owner of {}"),
                ("contact.remove_co_owner", _) => (" removed ", " as a co-owner of {}"),
                ("contact.co_owner_ended", _) => (" removed ", " as a co-owner of {}: the co-ownership had ended"),
                (_, true) => (" made ", " a read-only co-owner of {}"),
                (_, false) => (" let ", " edit {} as a co-owner"),
            };
            t.text(verb);
            if let Some(u) = user("user_id") {
                t.user(u);
            }
            t.phrase(role, object)
        }
        "team.member_add" | "team.member_remove" | "team.member_ended" => {
            let add = r.action == "team.member_add";
            t.text(if add { " added " } else { " removed " });
            if let Some(u) = r.field("member").and_then(|m| m.get("user_id")).and_then(Value::as_i64) {
                t.user(u);
            }
            match r.action.as_str() {
                "team.member_add" => t.phrase(" to team {}", object),
                "team.member_remove" => t.phrase(" from team {}", object),
                _ => t.phrase(" from team {}: the membership had ended", object),
            }
        }
        "contact.bulk" => {
            // What the run did, as its page lists it ("Set main owner to sid@…; Assign tags: vip").
            let actions: Vec<&str> = r
                .field("actions")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let what = if actions.is_empty() { String::new() } else { format!(" ({})", actions.join("; ")) };
            t.phrase(&format!(" ran {{}}{what}, changing {} contacts", count("contacts_changed")), object)
        }
        "contact.import" => t.phrase(
            &format!(
                " imported {{}}: {} created, {} updated, {} rejected",
                count("created"),
                count("updated"),
                count("rejected")
            ),
            object,
        ),
        "audit.export" => t.text(&format!(" exported {} entries of the audit log", count("rows"))),
        action => {
            t.phrase(&format!(" {}", phrase(action)), object);
            if let Some(reason) = r.field("reason").and_then(Value::as_str) {
                t.text(&format!(" ({reason})"));
            }
            &mut t
        }
    };
    // Access given or changed for a time says until when (access::ends): the end after the
    // change, on the entry or on the grant it records.
    let after = r.after.as_ref();
    let ends = after
        .and_then(|a| a.get("ends_at").or_else(|| a.get("grant").and_then(|g| g.get("ends_at"))))
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<chrono::DateTime<chrono::Utc>>().ok());
    if let Some(at) = ends {
        t.text(&format!(" {}", crate::access::ends::until(at)));
    }
    t.parts
}

/// The sentence as plain text (the CSV export's summary).
pub fn plain(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Part::Text(s) | Part::Link(s, _) => s.as_str(),
        })
        .collect()
}

/// The name of the entry's object, and its page (none for a contact the reader may not see,
/// nor for an object that no longer exists).
fn object_name(r: &Row, names: &Names) -> (String, Option<String>) {
    let Some((kind, id)) = r.object() else {
        let what = r.object_type.replace('_', " ");
        return (r.object_id.as_ref().map_or(what.clone(), |i| format!("{what} {i}")), None);
    };
    if kind == "contact" && r.redacted() {
        return ("a contact you cannot see".into(), None);
    }
    let named = |name: String| (name, r.object_href());
    match (kind, names.get(kind, id)) {
        ("bulk_run", _) => named(format!("bulk run #{id}")),
        ("import_job", _) => match r.field("file").and_then(Value::as_str) {
            Some(f) => named(format!("“{f}” (import #{id})")),
            None => named(format!("import #{id}")),
        },
        ("user" | "contact", Some(n)) => named(n.to_string()),
        (_, Some(n)) => named(format!("“{n}”")),
        // Gone: the name its entry recorded, else its number; no link to a missing page.
        (_, None) => match r.field("name").and_then(Value::as_str) {
            Some(n) => (format!("“{n}” (#{id})"), None),
            None => (format!("#{id}"), None),
        },
    }
}

/// What an action did, `{}` standing for its object: "user.create" → "created user {}".
fn phrase(action: &str) -> String {
    let known = match action {
        "user.create" => "created user {}",
        "user.update" => "edited user {}",
        "user.delete" => "deleted user {}",
        "user.deactivate" => "deactivated user {}",
        "user.reactivate" => "reactivated user {}",
        "user.presets" => "changed the presets of {}",
        "user.login" => "signed in",
        "user.logout" => "signed out",
        "user.login_failed" => "failed to sign in as {}",
        "user.password_changed" => "changed the password of {}",
        "user.sign_out_everywhere" => "signed {} out everywhere",
        "user.two_factor_enrolled" => "turned on two-step sign-in for {}",
        "user.two_factor_disabled" => "turned off two-step sign-in for {}",
        "user.two_factor_reset" => "reset the two-step sign-in of {}",
        "user.two_factor_failed" => "failed the second step of signing in as {}",
        "user.two_factor_recovery_used" => "signed in with a recovery code of {}",
        "user.two_factor_recovery_codes_renewed" => "renewed the recovery codes of {}",
        "contact.create" => "created contact {}",
        "contact.update" => "edited contact {}",
        "contact.delete" => "deleted contact {}",
        "contact.tags" => "changed the tags of {}",
        "contact.confidential" => "changed whether {} is confidential",
        "contact.export" => "exported contacts",
        "form.submit" => "received a form submission for {}",
        "team.create" => "created team {}",
        "team.update" => "edited team {}",
        "team.delete" => "deleted team {}",
        "access_group.create" => "created access group {}",
        "access_group.update" => "edited access group {}",
        "access_group.delete" => "deleted access group {}",
        "access_group.grant_add" => "granted access group {}",
        "access_group.grant_update" => "changed a grant of access group {}",
        "access_group.grant_remove" => "removed a grant of access group {}",
        "access_group.grant_ended" => "removed a grant of access group {} that had ended",
        "user.preset_ended" => "removed a preset of {} that had ended",
        "user.override_ended" => "removed a per-user override of {} that had ended",
        "preset.create" => "created preset {}",
        "preset.update" => "changed the permissions of preset {}",
        "preset.rename" => "renamed preset {}",
        "preset.delete" => "deleted preset {}",
        "rule.create" => "created automation rule {}",
        "rule.update" => "edited automation rule {}",
        "rule.delete" => "deleted automation rule {}",
        "rule.enable" => "switched automation rule {} on or off",
        "rule.share" => "changed the sharing of automation rule {}",
        "rule.fire" => "ran automation rule {}",
        "template.create" => "created template {}",
        "template.update" => "edited template {}",
        "template.copy" => "copied template {}",
        "template.delete" => "deleted template {}",
        "segment.create" => "created segment {}",
        "segment.update" => "edited segment {}",
        "segment.apply" => "applied segment {}",
        "segment.delete" => "deleted segment {}",
        "form.create" => "created form {}",
        "form.update" => "edited form {}",
        "form.delete" => "deleted form {}",
        "api_token.create" => "created API token {}",
        "api_token.revoke" => "revoked API token {}",
        "send.batch" => "sent {}",
        "settings.two_factor_roles" => "changed which roles must use two-step sign-in",
        "settings.sso_only" => "changed whether sign-in is through single sign-on only",
        "settings.provisioning" => "changed the provisioning settings",
        "demo.seed" => "loaded the demo data",
        other => return format!("{}: {{}}", crate::audit::row::words(other)),
    };
    known.to_string()
}
