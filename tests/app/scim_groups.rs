//! Issue #12: SCIM Groups are teams (list, filter, read, create, replace, patch members,
//! delete; the manager in the team extension), users' presets through the user extension,
//! and DELETE of a user with the successor configured for provisioning. Each change goes
//! through the same code as the screens and is audited as coming through the token.

use crate::fixtures;
use crate::helpers::*;
use crate::scim::{call_as, new_user, patch_op, scim, scim_error, Scim};
use custodian::api_tokens::Scope;
use custodian::db::schema::{audit_log, contacts, teams, users};
use custodian::db::views::team_members;
use custodian::permissions::Role;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

const EXT: &str = "urn:custodian:params:scim:schemas:extension:team:2.0:Group";

fn group(name: &str, members: &[i64], manager: Option<i64>) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", EXT],
        "displayName": name, "externalId": format!("okta-{name}"),
        "members": members.iter().map(|m| json!({"value": m.to_string()})).collect::<Vec<_>>(),
        EXT: {"manager": manager.map(|m| json!({"value": m.to_string()}))}
    })
}

impl Scim {
    fn members(&self, team: i64) -> Vec<i64> {
        team_members::table
            .filter(team_members::team_id.eq(team))
            .order(team_members::user_id)
            .select(team_members::user_id)
            .load(&mut self.app.conn())
            .unwrap()
    }
    fn teams(&self) -> i64 {
        teams::table.count().get_result(&mut self.app.conn()).unwrap()
    }
}

fn member_ids(v: &Value) -> Vec<String> {
    v["members"].as_array().unwrap().iter().map(|m| m["value"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn groups_are_teams_created_filtered_patched_replaced_and_deleted() {
    let s = scim().await;
    let ann = s.app.create_user("ann@example.com", Role::Salesperson);
    let bob = s.app.create_user("bob@example.com", Role::Salesperson);
    let mia = s.app.create_user("mia@example.com", Role::Manager);

    // Discovery names the Group resource and the team extension.
    let (_, types) = s.get("/ResourceTypes/Group").await;
    assert_eq!(types["schemaExtensions"][0]["schema"], EXT);
    let (status, _) = s.get(&format!("/Schemas/{EXT}")).await;
    assert_eq!(status, 200);

    let (status, g) = s.call(Method::POST, "/Groups", Some(group("Okta Sales", &[ann], Some(mia)))).await;
    assert_eq!(status, 201, "{g}");
    let id: i64 = g["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(member_ids(&g), vec![ann.to_string()]);
    assert_eq!(g[EXT]["manager"]["value"], mia.to_string());
    let (name, manager, external): (String, Option<i64>, Option<String>) = teams::table
        .find(id)
        .select((teams::name, teams::manager_id, teams::external_id))
        .first(&mut s.app.conn())
        .unwrap();
    assert_eq!((name.as_str(), manager, external.as_deref()), ("Okta Sales", Some(mia), Some("okta-Okta Sales")));
    assert_eq!(s.members(id), vec![ann]);

    // Filters: displayName is case-insensitive, externalId case-exact, members.value works.
    let (_, l) = s.get("/Groups?filter=displayName%20eq%20%22okta%20sales%22").await;
    assert_eq!(l["totalResults"], 1);
    let (_, l) = s.get(&format!("/Groups?filter=members.value%20eq%20%22{bob}%22")).await;
    assert_eq!(l["totalResults"], 0);
    let (_, l) = s.get("/Groups?excludedAttributes=members").await;
    assert!(l["Resources"][0].get("members").is_none(), "{l}");

    // PATCH: add a member, remove one by filter, rename, drop the manager.
    let path = format!("/Groups/{id}");
    let ops = patch_op(json!([{"op": "add", "path": "members", "value": [{"value": bob.to_string()}]}]));
    let (status, g) = s.call(Method::PATCH, &path, Some(ops)).await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(s.members(id), vec![ann, bob]);
    let ops = patch_op(json!([
        {"op": "remove", "path": format!("members[value eq \"{ann}\"]")},
        {"op": "replace", "value": {"displayName": "Field sales"}},
        {"op": "remove", "path": format!("{EXT}:manager")}
    ]));
    let (status, g) = s.call(Method::PATCH, &path, Some(ops)).await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(s.members(id), vec![bob]);
    assert_eq!(g["displayName"], "Field sales");
    assert!(g[EXT]["manager"].is_null(), "{g}");
    // Entra ID's form: remove with the values in `value`.
    let ops = patch_op(json!([{"op": "Remove", "path": "members", "value": [{"value": bob.to_string()}]}]));
    s.call(Method::PATCH, &path, Some(ops)).await;
    assert!(s.members(id).is_empty());

    // PUT replaces the whole team.
    let (status, g) = s.call(Method::PUT, &path, Some(group("Field sales", &[ann, bob], Some(ann)))).await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(s.members(id), vec![ann, bob]);

    // Every change is audited as coming through the token, and shows on the team's history.
    let via: Vec<(String, Option<String>)> = audit_log::table
        .filter(audit_log::object_type.eq("team"))
        .filter(audit_log::object_id.eq(id.to_string()))
        .select((audit_log::action, audit_log::via))
        .load(&mut s.app.conn())
        .unwrap();
    assert!(via.iter().any(|(a, _)| a == "team.member_remove"), "{via:?}");
    assert!(via.iter().all(|(_, v)| v.as_deref() == Some("SCIM token Okta")), "{via:?}");
    let b = s.app.browser();
    b.login("ada@example.com", TEST_PASSWORD).await;
    assert!(b.page(&format!("/teams/{id}")).await.contains("SCIM token Okta"));

    // DELETE deletes the team; a later GET is 404.
    let (status, _) = s.call(Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    let (status, e) = s.get(&path).await;
    assert_eq!(status, 404);
    scim_error(&e, None);
    assert_eq!(s.teams(), 0);
}

#[tokio::test]
async fn group_refusals_are_scim_errors_and_change_nothing() {
    let s = scim().await;
    let ann = s.app.create_user("ann@example.com", Role::Salesperson);
    let gone = s.app.create_user("gone@example.com", Role::Salesperson);
    diesel::update(users::table.find(gone)).set(users::status.eq("deactivated")).execute(&mut s.app.conn()).unwrap();
    let (status, g) = s.call(Method::POST, "/Groups", Some(group("Sales", &[ann], None))).await;
    assert_eq!(status, 201);
    let path = format!("/Groups/{}", g["id"].as_str().unwrap());

    let cases: Vec<(Value, u16, &str)> = vec![
        (group("sales", &[], None), 409, "uniqueness"),
        (group("Other", &[ann, 999_999], None), 400, "invalidValue"),
        (group("Other", &[gone], None), 400, "invalidValue"),
        (group("Other", &[], Some(gone)), 400, "invalidValue"),
        (json!({"displayName": "Other", "members": [{"value": "1", "type": "Group"}]}), 400, "invalidValue"),
        (json!({"displayName": "Other", "owner": "x"}), 400, "invalidPath"),
        (json!({"displayName": ""}), 400, "invalidValue"),
    ];
    for (body, status, kind) in cases {
        let (got, e) = s.call(Method::POST, "/Groups", Some(body.clone())).await;
        assert_eq!(got, status, "{body}: {e}");
        scim_error(&e, Some(kind));
    }
    assert_eq!(s.teams(), 1, "nothing was created");
    // A PATCH that fails half-way leaves the team as it was.
    let ops = patch_op(json!([
        {"op": "replace", "path": "displayName", "value": "Renamed"},
        {"op": "add", "path": "members", "value": [{"value": gone.to_string()}]}
    ]));
    let (status, e) = s.call(Method::PATCH, &path, Some(ops)).await;
    assert_eq!(status, 400, "{e}");
    let (_, g) = s.get(&path).await;
    assert_eq!(g["displayName"], "Sales");
    let (status, e) =
        s.call(Method::PATCH, &path, Some(patch_op(json!([{"op": "remove", "path": "displayName"}])))).await;
    assert_eq!(status, 400, "{e}");
    let (status, _) =
        s.call(Method::PATCH, &path, Some(patch_op(json!([{"op": "remove", "path": "members[value eq"}])))).await;
    assert_eq!(status, 400);

    // A token whose creator may not manage teams can read but not write.
    let sam = s.app.create_user("sam@example.com", Role::Salesperson);
    let (_, token) = custodian::api_tokens::create(&mut s.app.conn(), "Sam's", sam, &[Scope::Scim]).unwrap();
    let a = s.app.address.clone();
    let (status, e) = call_as(&a, &token, Method::POST, "/Groups", Some(group("Mine", &[sam], None))).await;
    assert_eq!(status, 403, "{e}");
    let (status, _) = call_as(&a, &token, Method::DELETE, &path, None).await;
    assert_eq!(status, 403);
    assert_eq!(s.teams(), 1);
}

#[tokio::test]
async fn presets_by_name_through_the_user_extension_without_escalation() {
    let s = scim().await;
    let ext = "urn:custodian:params:scim:schemas:extension:custodian:2.0:User";
    let mut body = new_user("mark@example.com", "marketer");
    body[ext] = json!({"presets": ["marketer", "Sending operator"]});
    let (status, v) = s.post(body).await;
    assert_eq!(status, 201, "{v}");
    let mut held: Vec<String> =
        v[ext]["presets"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect();
    held.sort();
    assert_eq!(held, vec!["Marketer", "Sending operator"]);
    let id = v["id"].as_str().unwrap().to_string();
    // PATCH by the extension's path; an unknown name is refused and changes nothing.
    let (status, v) =
        s.patch(&id, json!([{"op": "replace", "path": format!("{ext}:presets"), "value": ["Marketer"]}])).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v[ext]["presets"], json!(["Marketer"]));
    let (status, e) =
        s.patch(&id, json!([{"op": "replace", "path": format!("{ext}:presets"), "value": ["Nope"]}])).await;
    assert_eq!(status, 400);
    scim_error(&e, Some("invalidValue"));
    // A user manager who is not an Administrator cannot hand out the Administrator preset.
    let boss = s.app.create_user("boss@example.com", Role::Manager);
    s.app.override_key(boss, "administration.users_manage", true);
    let (_, token) = custodian::api_tokens::create(&mut s.app.conn(), "HR", boss, &[Scope::Scim]).unwrap();
    let mut body = new_user("sneaky@example.com", "manager");
    body[ext] = json!({"presets": ["Administrator"]});
    let (status, e) = call_as(&s.app.address, &token, Method::POST, "/Users", Some(body)).await;
    assert_eq!(status, 403, "{e}");
    let n: i64 =
        users::table.filter(users::email.eq("sneaky@example.com")).count().get_result(&mut s.app.conn()).unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn delete_with_the_configured_successor_deletes_and_hands_over() {
    let s = scim().await;
    let heir = s.app.create_user("heir@example.com", Role::Manager);
    let (_, v) = s.post(new_user("leaver@example.com", "salesperson")).await;
    let leaver: i64 = v["id"].as_str().unwrap().parse().unwrap();
    let contact = fixtures::contact(&mut s.app.conn(), "Owned Contact", Some(leaver));
    let b = s.app.browser();
    b.login("ada@example.com", TEST_PASSWORD).await;
    let fields = [("default_role", "user"), ("delete_successor", "nobody@example.com")];
    let r = b.submit("/settings/provisioning", "/settings/provisioning", &fields).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("No user has this email.") && html.contains("value=\"nobody@example.com\""), "kept");
    let fields = [("default_role", "user"), ("delete_successor", "HEIR@example.com")];
    assert_eq!(b.submit("/settings/provisioning", "/settings/provisioning", &fields).await.status(), 303);

    let (status, _) = s.call(Method::DELETE, &format!("/Users/{leaver}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = s.get(&format!("/Users/{leaver}")).await;
    assert_eq!(status, 404, "a deleted user is gone for SCIM");
    let owner: Option<i64> =
        contacts::table.find(contact).select(contacts::main_owner_id).first(&mut s.app.conn()).unwrap();
    assert_eq!(owner, Some(heir), "what the user owned went to the successor");
    let status: String = users::table.find(leaver).select(users::status).first(&mut s.app.conn()).unwrap();
    assert_eq!(status, "deleted");
}
