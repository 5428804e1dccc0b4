//! Each rule of SPEC 3, checked through the screens: what a user sees in the list, whether the
//! card opens, and whether an edit goes through.

use crate::fixtures::*;
use crate::helpers::*;
use custodian::permissions::Role;

/// Whether the user's list shows the contact, and the card's status.
async fn sees(b: &Browser, id: i64, name: &str) -> (bool, u16) {
    let list = b.page(&format!("/contacts?q={}", name.to_lowercase())).await;
    let card = b.get(&format!("/contacts/{id}")).await.status().as_u16();
    (list.contains(&format!("href=\"/contacts/{id}\"")), card)
}

/// Tries to rename a contact through its card form; returns the status.
async fn rename(b: &Browser, id: i64, to: &str) -> u16 {
    let page = format!("/contacts/{id}");
    let html = b.page(&page).await;
    let version = html.split("name=\"version\" value=\"").nth(1).map(|s| s.split('"').next().unwrap().to_string());
    let token = csrf_token(&html).unwrap();
    b.post_raw(
        &page,
        &[("csrf_token", &token), ("version", version.as_deref().unwrap_or("1")), ("first_name", to), ("email", "")],
    )
    .await
    .status()
    .as_u16()
}

#[tokio::test]
async fn rule1_contacts_all_sees_the_whole_base_including_unowned() {
    let app = spawn_app().await;
    let (_, mgr) = app.signed_in("max@example.com", Role::Manager).await;
    let id = contact(&mut app.conn(), "Orphan", None);
    assert_eq!(sees(&mgr, id, "Orphan").await, (true, 200));
    assert_eq!(rename(&mgr, id, "Adopted").await, 303);
    assert_eq!(first_name(&mut app.conn(), id), "Adopted");
}

#[tokio::test]
async fn rule2_main_owner_acts_and_others_see_nothing() {
    let app = spawn_app().await;
    let (sam_id, sam) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let (_, sid) = app.signed_in("sid@example.com", Role::Salesperson).await;
    let id = contact(&mut app.conn(), "Mine", Some(sam_id));
    assert_eq!(sees(&sam, id, "Mine").await, (true, 200));
    assert_eq!(sees(&sid, id, "Mine").await, (false, 404), "not visible: the card is not found");
    assert_eq!(rename(&sam, id, "Renamed").await, 303);
}

#[tokio::test]
async fn rule2_read_only_co_owner_sees_but_every_edit_is_refused() {
    let app = spawn_app().await;
    let owner = app.create_user("owner@example.com", Role::Salesperson);
    let (ro_id, ro) = app.signed_in("ro@example.com", Role::Salesperson).await;
    let (rw_id, rw) = app.signed_in("rw@example.com", Role::Salesperson).await;
    let id = contact(&mut app.conn(), "Shared", Some(owner));
    co_owner(&mut app.conn(), id, ro_id, true);
    co_owner(&mut app.conn(), id, rw_id, false);
    assert_eq!(sees(&ro, id, "Shared").await, (true, 200));
    let card = ro.page(&format!("/contacts/{id}")).await;
    assert!(!card.contains("Save details"), "no edit form for a read-only co-owner");
    // A forged POST with a valid token is refused and changes nothing.
    let token = csrf_token(&card).unwrap();
    let r = ro
        .post_raw(&format!("/contacts/{id}"), &[("csrf_token", &token), ("version", "1"), ("first_name", "Hacked")])
        .await;
    assert_eq!(r.status(), 403);
    let r = ro.post_raw(&format!("/contacts/{id}/tags"), &[("csrf_token", &token), ("add", "x")]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(first_name(&mut app.conn(), id), "Shared");
    assert_eq!(rename(&rw, id, "Edited").await, 303, "a writable co-owner edits");
}

#[tokio::test]
async fn rule3_team_manager_reaches_contacts_owned_by_members_but_not_read_only_co_owned() {
    let app = spawn_app().await;
    let (boss_id, boss) = app.signed_in("boss@example.com", Role::User).await;
    let member = app.create_user("member@example.com", Role::Salesperson);
    let outsider = app.create_user("out@example.com", Role::Salesperson);
    team(&mut app.conn(), "Sales", Some(boss_id), &[member]);
    let owned = contact(&mut app.conn(), "Owned", Some(member));
    let co = contact(&mut app.conn(), "Cowritable", Some(outsider));
    co_owner(&mut app.conn(), co, member, false);
    let ro = contact(&mut app.conn(), "Coreadonly", Some(outsider));
    co_owner(&mut app.conn(), ro, member, true);
    assert_eq!(sees(&boss, owned, "Owned").await, (true, 200));
    assert_eq!(sees(&boss, co, "Cowritable").await, (true, 200));
    assert_eq!(sees(&boss, ro, "Coreadonly").await, (false, 404));
    assert_eq!(rename(&boss, owned, "Managed").await, 303, "the manager acts for the team");
}

#[tokio::test]
async fn rule4_access_group_grants_give_their_level_to_users_and_teams() {
    let app = spawn_app().await;
    let (viewer_id, viewer) = app.signed_in("viewer@example.com", Role::Salesperson).await;
    let (editor_id, editor) = app.signed_in("editor@example.com", Role::Salesperson).await;
    let (_, stranger) = app.signed_in("stranger@example.com", Role::Salesperson).await;
    let t = team(&mut app.conn(), "Editors", None, &[editor_id]);
    let g = group(&mut app.conn(), "Poland");
    grant(&mut app.conn(), g, Some(viewer_id), None, "view");
    grant(&mut app.conn(), g, None, Some(t), "edit");
    let id = contact(&mut app.conn(), "Grouped", None);
    in_group(&mut app.conn(), id, g);
    assert_eq!(sees(&viewer, id, "Grouped").await, (true, 200));
    assert_eq!(rename(&viewer, id, "Nope").await, 403, "view grant: no edits");
    assert_eq!(sees(&editor, id, "Grouped").await, (true, 200));
    assert_eq!(rename(&editor, id, "Edited").await, 303, "team grant edit: edits");
    assert_eq!(sees(&stranger, id, "Grouped").await, (false, 404));
}

#[tokio::test]
async fn only_owned_users_get_nothing_from_teams_groups_or_contacts_all() {
    let app = spawn_app().await;
    let (mgr_id, mgr) = app.signed_in("max@example.com", Role::Manager).await;
    set_only_owned(&mut app.conn(), mgr_id);
    let g = group(&mut app.conn(), "G");
    grant(&mut app.conn(), g, Some(mgr_id), None, "act");
    let grouped = contact(&mut app.conn(), "Grouped", None);
    in_group(&mut app.conn(), grouped, g);
    let own = contact(&mut app.conn(), "Own", Some(mgr_id));
    assert_eq!(sees(&mgr, grouped, "Grouped").await, (false, 404));
    assert_eq!(sees(&mgr, own, "Own").await, (true, 200));
}

#[tokio::test]
async fn confidential_contacts_are_seen_only_by_owners_and_administrators() {
    let app = spawn_app().await;
    let (owner_id, owner) = app.signed_in("owner@example.com", Role::Salesperson).await;
    let (boss_id, boss) = app.signed_in("boss@example.com", Role::User).await;
    let (grantee_id, grantee) = app.signed_in("grantee@example.com", Role::Salesperson).await;
    let (_, mgr) = app.signed_in("max@example.com", Role::Manager).await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    team(&mut app.conn(), "T", Some(boss_id), &[owner_id]);
    let g = group(&mut app.conn(), "G");
    grant(&mut app.conn(), g, Some(grantee_id), None, "act");
    let id = contact(&mut app.conn(), "Secret", Some(owner_id));
    in_group(&mut app.conn(), id, g);
    assert_eq!(sees(&boss, id, "Secret").await.1, 200, "before: the team manager sees it");
    set_confidential(&mut app.conn(), id);
    assert_eq!(sees(&owner, id, "Secret").await, (true, 200));
    assert_eq!(sees(&boss, id, "Secret").await, (false, 404), "team rule gives none");
    assert_eq!(sees(&grantee, id, "Secret").await, (false, 404), "group rule gives none");
    assert_eq!(sees(&mgr, id, "Secret").await, (false, 404), "contacts.all of a non-Administrator gives none");
    assert_eq!(sees(&admin, id, "Secret").await, (true, 200));
}

#[tokio::test]
async fn the_main_owner_marks_a_contact_confidential_through_the_card() {
    let app = spawn_app().await;
    let (owner_id, owner) = app.signed_in("owner@example.com", Role::User).await;
    let (grantee_id, grantee) = app.signed_in("grantee@example.com", Role::User).await;
    let g = group(&mut app.conn(), "G");
    grant(&mut app.conn(), g, Some(grantee_id), None, "act");
    let id = contact(&mut app.conn(), "Secret", Some(owner_id));
    in_group(&mut app.conn(), id, g);
    // The grantee can assign (User role) but is not the main owner: refused.
    let r = grantee
        .submit(&format!("/contacts/{id}"), &format!("/contacts/{id}/confidential"), &[("confidential", "true")])
        .await;
    assert_eq!(r.status(), 403);
    let r = owner
        .submit(&format!("/contacts/{id}"), &format!("/contacts/{id}/confidential"), &[("confidential", "true")])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(grantee.get(&format!("/contacts/{id}")).await.status(), 404);
}

#[tokio::test]
async fn explainer_lists_who_sees_a_contact_and_why_a_user_cannot() {
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let owner = app.create_user("owner@example.com", Role::Salesperson);
    let ro = app.create_user("ro@example.com", Role::Salesperson);
    let other = app.create_user("other@example.com", Role::Salesperson);
    custodian::accounts::find(&mut app.conn(), other).unwrap();
    let id = contact(&mut app.conn(), "Explained", Some(owner));
    co_owner(&mut app.conn(), id, ro, true);
    let card = admin.page(&format!("/contacts/{id}")).await;
    assert!(card.contains("owner@example.com</span>"), "{card}");
    assert!(card.contains("is the main owner"));
    assert!(card.contains("is a read-only co-owner"));
    assert!(!card.contains("other@example.com</span>"), "a user without access is not listed");
    let why = admin.page(&format!("/contacts/{id}?why=other@example.com")).await;
    assert!(why.contains("level <strong data-level=\"none\">no access</strong>"), "{why}");
    assert!(why.contains("no ownership, team or access-group rule reaches this contact"));
}

/// The number a user card shows in the element with `id`.
fn shown(html: &str, id: &str) -> Option<i64> {
    html.split(&format!("id=\"{id}\">")).nth(1)?.split('<').next()?.trim().parse().ok()
}

#[tokio::test]
async fn user_card_explains_what_the_user_reaches_path_by_path() {
    let app = spawn_app().await;
    let (_, ada) = app.signed_in("ada@example.com", Role::Administrator).await;
    let sam = app.create_user("sam@example.com", Role::Salesperson);
    let olga = app.create_user("olga@example.com", Role::Salesperson);
    let zed = app.create_user("zed@example.com", Role::Salesperson);
    let c = &mut app.conn();
    let _own = contact(c, "Own", Some(sam));
    let read_only = contact(c, "ReadOnly", Some(zed));
    co_owner(c, read_only, sam, true);
    // Rule 3: sam manages North, whose member olga owns two contacts and co-owns one.
    team(c, "North", Some(sam), &[olga]);
    let olgas = contact(c, "Olgas", Some(olga));
    let secret = contact(c, "OlgasSecret", Some(olga));
    set_confidential(c, secret);
    let co = contact(c, "OlgaCo", Some(zed));
    co_owner(c, co, olga, false);
    // Rule 4: VIP grants edit to South, which sam belongs to.
    let south = team(c, "South", None, &[sam]);
    let vip = group(c, "VIP");
    grant(c, vip, None, Some(south), "edit");
    let in_vip = contact(c, "InVip", Some(zed));
    let vip_secret = contact(c, "VipSecret", Some(zed));
    set_confidential(c, vip_secret);
    for id in [in_vip, vip_secret, olgas] {
        in_group(c, id, vip);
    }

    let html = ada.page(&format!("/users/{sam}")).await;
    assert_eq!(shown(&html, "reach-main"), Some(1));
    assert_eq!(shown(&html, "reach-co"), Some(0));
    assert_eq!(shown(&html, "reach-co-ro"), Some(1));
    let north = html.split("class=\"reach-team\"").nth(1).expect("the managed team's row");
    assert!(north.contains("North</a> (1 member)") && north.contains("<td>2</td>"), "Olgas and OlgaCo: {north}");
    let vip_row = html.split("class=\"reach-group\"").nth(1).expect("the grant's row");
    assert!(
        vip_row.contains("team South") && vip_row.contains("<td>see and edit</td><td>2</td>"),
        "InVip, Olgas: {vip_row}"
    );
    // Own, ReadOnly, Olgas, OlgaCo, InVip; never the confidential ones.
    assert_eq!(shown(&html, "reach-view"), Some(5));
    assert_eq!(shown(&html, "reach-edit"), Some(4), "not ReadOnly");
    assert_eq!(shown(&html, "reach-act"), Some(3), "not ReadOnly, not InVip (edit)");
    assert!(html.contains("Confidential contacts count only where the user is an owner"));

    // "Only contacts this user owns" takes teams and groups away, and the card says so.
    set_only_owned(c, sam);
    let html = ada.page(&format!("/users/{sam}")).await;
    assert_eq!(
        (shown(&html, "reach-view"), shown(&html, "reach-edit"), shown(&html, "reach-act")),
        (Some(2), Some(1), Some(1))
    );
    assert!(html.contains("limited to contacts they own"), "the limit is named");
    assert!(html.contains("gives nothing here"));

    // Nobody without administration.users_view sees the card.
    let (_, sid) = app.signed_in("sid@example.com", Role::Salesperson).await;
    assert_eq!(sid.get(&format!("/users/{sam}")).await.status().as_u16(), 403);
}
