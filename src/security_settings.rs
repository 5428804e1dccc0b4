//! The organisation's security settings, each a change with its authority: the roles that must
//! use two-factor, "SSO only", and the defaults of user provisioning (the role a provisioned
//! user gets, the successor of users the identity provider deletes). Each can weaken the
//! protection of every account, Administrators' included, or hand contacts to someone, so only
//! an Administrator holding `administration.settings` changes them
//! (`access::authority::security`), whichever entry point asks. Each change is audited.

use crate::access::{authority, Denied, Subject};
use crate::accounts::User;
use crate::audit::{self, Actor};
use crate::auth::{sso_only, two_factor};
use crate::permissions::Role;
use crate::users::provisioning;
use diesel::PgConnection;

/// Makes `roles` exactly the roles that must use two-factor.
pub fn set_two_factor_roles(c: &mut PgConnection, actor: &Actor, who: &Subject, roles: &[Role]) -> Result<(), Denied> {
    authority::security(who)?;
    let before: Vec<&str> = two_factor::required_roles(c)?.into_iter().map(Role::as_str).collect();
    two_factor::set_required_roles(c, roles)?;
    let after: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    audit::Entry::by(actor, "settings.two_factor_roles", "settings", "two_factor")
        .before(serde_json::json!({ "roles": before }))
        .after(serde_json::json!({ "roles": after }))
        .record(c)?;
    Ok(())
}

/// Turns "SSO only" on or off.
pub fn set_sso_only(c: &mut PgConnection, actor: &Actor, who: &Subject, on: bool) -> Result<(), Denied> {
    authority::security(who)?;
    let before = sso_only::is_on(c)?;
    sso_only::set(c, on)?;
    audit::Entry::by(actor, "settings.sso_only", "settings", "sign_in")
        .before(serde_json::json!({ "sso_only": before }))
        .after(serde_json::json!({ "sso_only": on }))
        .record(c)?;
    Ok(())
}

/// Sets the default role of provisioned users (never Administrator: refused) and the successor
/// of users the identity provider deletes (`None`: a SCIM DELETE deactivates).
pub fn set_provisioning(
    c: &mut PgConnection,
    actor: &Actor,
    who: &Subject,
    role: Role,
    successor: Option<&User>,
) -> Result<(), Denied> {
    authority::security(who)?;
    if role == Role::Administrator {
        return Err(Denied::Forbidden("provisioned users are never made Administrators by default".into()));
    }
    let before = serde_json::json!({
        "default_role": provisioning::default_role(c)?.as_str(),
        "delete_successor": provisioning::delete_successor(c)?.map(|u| u.email),
    });
    provisioning::set_default_role(c, role)?;
    provisioning::set_delete_successor(c, successor.map(|u| u.id))?;
    let after = serde_json::json!({
        "default_role": role.as_str(),
        "delete_successor": successor.map(|u| u.email.clone()),
    });
    if before != after {
        audit::Entry::by(actor, "settings.provisioning", "settings", "provisioning")
            .before(before)
            .after(after)
            .record(c)?;
    }
    Ok(())
}
