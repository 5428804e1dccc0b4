//! The rule list: the viewer's own rules and the shared rules of others, names resolved in
//! batch queries.

use super::model::Rule;
use crate::db::schema::{access_groups, automation_rules, users};
use diesel::prelude::*;
use std::collections::HashMap;

/// A rule as the list shows it, with its owner and target names resolved.
#[derive(Debug, Clone)]
pub struct Listed {
    pub rule: Rule,
    pub owner_email: String,
    pub action_user_email: Option<String>,
    pub action_group_name: Option<String>,
    pub can_manage: bool,
    pub can_share: bool,
}

impl Listed {
    /// "Add tag “vip”", "Add co-owner ann@… (read-only)", … for the list.
    pub fn action_text(&self) -> String {
        let r = &self.rule;
        let target = match r.action.as_str() {
            "set_main_owner" | "add_co_owner" => {
                self.action_user_email.clone().unwrap_or_else(|| "(user missing)".into())
            }
            "add_tag" => format!("“{}”", r.action_tag.clone().unwrap_or_default()),
            _ => self.action_group_name.clone().unwrap_or_else(|| "(group deleted)".into()),
        };
        let ro = if r.action == "add_co_owner" && r.action_read_only { " (read-only)" } else { "" };
        format!("{} {target}{ro}", r.action_label())
    }

    /// The trigger and its conditions in words.
    pub fn when_text(&self) -> String {
        let r = &self.rule;
        let mut s = r.trigger_label().to_string();
        if r.trigger == "tag_added" {
            s.push_str(&match &r.trigger_tag {
                Some(t) => format!(" “{t}”"),
                None => " (any tag)".into(),
            });
        }
        let mut conds = Vec::new();
        if let Some(t) = &r.has_tag {
            conds.push(format!("has tag “{t}”"));
        }
        if let Some(c) = &r.category {
            conds.push(format!("category is “{c}”"));
        }
        if r.no_main_owner {
            conds.push("has no main owner".to_string());
        }
        if !conds.is_empty() {
            s.push_str(", if ");
            s.push_str(&conds.join(" and "));
        }
        s
    }
}

/// The rules `user_id` sees: their own and the shared rules of others (an Administrator sees
/// every rule, since they may manage every rule). Names resolved in two batch queries.
pub fn list_for(conn: &mut PgConnection, user_id: i64, administrator: bool) -> QueryResult<Vec<Listed>> {
    let mut q = automation_rules::table.select(Rule::as_select()).order(automation_rules::id).into_boxed();
    if !administrator {
        q = q.filter(automation_rules::owner_id.eq(user_id).or(automation_rules::shared));
    }
    let rules: Vec<Rule> = q.load(conn)?;
    let mut user_ids: Vec<i64> = rules.iter().flat_map(|r| [Some(r.owner_id), r.action_user_id]).flatten().collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    let emails: HashMap<i64, String> = users::table
        .filter(users::id.eq_any(&user_ids))
        .select((users::id, users::email))
        .load(conn)?
        .into_iter()
        .collect();
    let group_ids: Vec<i64> = rules.iter().filter_map(|r| r.action_group_id).collect();
    let groups: HashMap<i64, String> = access_groups::table
        .filter(access_groups::id.eq_any(&group_ids))
        .select((access_groups::id, access_groups::name))
        .load(conn)?
        .into_iter()
        .collect();
    Ok(rules
        .into_iter()
        .map(|rule| Listed {
            owner_email: emails.get(&rule.owner_id).cloned().unwrap_or_default(),
            action_user_email: rule.action_user_id.and_then(|u| emails.get(&u).cloned()),
            action_group_name: rule.action_group_id.and_then(|g| groups.get(&g).cloned()),
            can_manage: rule.manageable_by(user_id, administrator),
            can_share: rule.owner_id == user_id,
            rule,
        })
        .collect())
}

/// All access groups (id, name) for the form's select.
pub fn group_options(conn: &mut PgConnection) -> QueryResult<Vec<(i64, String)>> {
    access_groups::table.select((access_groups::id, access_groups::name)).order(access_groups::name).load(conn)
}
