//! Issue #16: each finding of the outside attack, reproduced over HTTP the way it was found.
//! Every test here failed on the code before its fix.

use crate::helpers::*;
use crate::users::{details, permissions, save, system_preset, wizard_id};
use custodian::db::schema::users;
use custodian::db::views::user_overrides;
use custodian::permissions::Role;
use diesel::prelude::*;

/// A user of role User who was granted users_view and users_manage: manages users, but is no
/// Administrator.
pub fn plain_user_manager(app: &TestApp, email: &str) -> i64 {
    let id = app.create_user(email, Role::User);
    for key in ["administration.users_view", "administration.users_manage"] {
        diesel::insert_into(user_overrides::table)
            .values((
                user_overrides::user_id.eq(id),
                user_overrides::perm_key.eq(key),
                user_overrides::granted.eq(true),
            ))
            .execute(&mut app.conn())
            .unwrap();
    }
    id
}

/// Opens the wizard on Salesperson `sam` as `b`, step 1 unchanged. Returns its base URL, the
/// wizard id, and step-2 fields keeping the Salesperson preset and keys with `role` chosen.
async fn edit_salesperson(
    app: &TestApp,
    b: &Browser,
    sam: i64,
    role: &'static str,
) -> (String, String, Vec<(&'static str, String)>) {
    let base = format!("/users/{sam}/edit");
    let fields = [("first_name", "Sam"), ("last_name", "S"), ("email", "sam@example.com")];
    let w = wizard_id(&location(&details(b, &base, None, &fields, None).await));
    let sys = system_preset(app, Role::Salesperson).to_string();
    let mut f = vec![("role", role.to_string()), ("preset", sys), ("action", "next".to_string())];
    f.extend(Role::Salesperson.default_permissions().keys().into_iter().map(|k| ("perm", k.to_string())));
    (base, w, f)
}

/// Borrowed form pairs for the request helpers.
fn pairs<'a>(owned: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    owned.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn role_of(app: &TestApp, id: i64) -> String {
    users::table.find(id).select(users::role).first(&mut app.conn()).unwrap()
}

/// H1: the role is an escalation too (it carries the confidential power).
#[tokio::test]
async fn a_user_manager_who_is_no_administrator_cannot_hand_out_the_administrator_role() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", Role::Administrator);
    plain_user_manager(&app, "uma@example.com");
    let uma = app.browser();
    assert_eq!(uma.login("uma@example.com", TEST_PASSWORD).await.status(), 303);
    let sam = app.create_user("sam@example.com", Role::Salesperson);

    // Edit the Salesperson: role administrator, preset unchanged.
    let (base, w, step2) = edit_salesperson(&app, &uma, sam, "administrator").await;
    let f = pairs(&step2);
    // The first post follows the new role (the checklist is shown again); the second goes on.
    permissions(&uma, &base, &w, &f).await;
    let r = permissions(&uma, &base, &w, &f).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-role\""), "the message stands beside the role: {html}");
    let r = save(&uma, &base, &w).await;
    assert_eq!(r.status(), 422, "the save refuses it too, whatever step 2 said");
    assert_eq!(role_of(&app, sam), "salesperson");

    // Nor can she create a new Administrator.
    let w =
        wizard_id(&location(&details(&uma, "/users/new", None, &crate::users::person("eve@example.com"), None).await));
    let sys = system_preset(&app, Role::Salesperson).to_string();
    let f = [("role", "administrator"), ("preset", sys.as_str()), ("action", "next")];
    permissions(&uma, "/users/new", &w, &f).await;
    assert_eq!(save(&uma, "/users/new", &w).await.status(), 422);
    let eve: i64 = users::table.filter(users::email.eq("eve@example.com")).count().get_result(&mut app.conn()).unwrap();
    assert_eq!(eve, 0);
}

/// H2: the organisation never loses its last complete Administrator (the role, every key, no
/// data setting): an incomplete Administrator cannot touch a complete one, and a preset edit
/// that would leave none is refused.
#[tokio::test]
async fn no_change_leaves_the_organisation_without_a_complete_administrator() {
    use crate::presets::{custom, hold};
    use custodian::db::views::user_presets;
    let app = spawn_app().await;
    let (ada, ada_b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (bea, bea_b) = app.signed_in("bea@example.com", Role::Administrator).await;
    // Ada takes audit_view from Bea: allowed, Ada is still a complete Administrator.
    let admin_sys = system_preset(&app, Role::Administrator).to_string();
    let all = Role::Administrator.default_permissions().keys();
    let mut strip = vec![("role", "administrator"), ("preset", admin_sys.as_str()), ("action", "next")];
    strip.extend(all.iter().filter(|k| **k != "administration.audit_view").map(|k| ("perm", *k)));
    let base = format!("/users/{bea}/edit");
    let fields = [("first_name", "Bea"), ("last_name", "B"), ("email", "bea@example.com")];
    let w = wizard_id(&location(&details(&ada_b, &base, None, &fields, None).await));
    permissions(&ada_b, &base, &w, &strip).await;
    assert_eq!(save(&ada_b, &base, &w).await.status(), 303);
    // Bea, incomplete now, can neither edit nor deactivate Ada.
    assert_eq!(bea_b.get(&format!("/users/{ada}/edit")).await.status(), 403);
    bea_b.submit(&format!("/users/{ada}"), &format!("/users/{ada}/deactivate"), &[]).await;
    let status: String = users::table.find(ada).select(users::status).first(&mut app.conn()).unwrap();
    assert_eq!(status, "active");

    // Both hold everything through one custom preset only; Ada's edit of it would leave no
    // complete Administrator.
    let everything = custom(&app, ada, "Everything", &all);
    diesel::delete(user_presets::table.filter(user_presets::user_id.eq_any([ada, bea])))
        .execute(&mut app.conn())
        .unwrap();
    diesel::delete(user_overrides::table).execute(&mut app.conn()).unwrap();
    hold(&app, ada, everything);
    hold(&app, bea, everything);
    let page = format!("/presets/{everything}");
    let keep: Vec<&str> = all.iter().copied().filter(|k| *k != "administration.settings").collect();
    let mut f: Vec<(&str, &str)> = vec![("version", "1")];
    f.extend(keep.iter().map(|k| ("perm", *k)));
    let preview = ada_b.submit(&page, &page, &f).await.text().await.unwrap();
    let digest = preview.split("name=\"digest\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let mut confirm: Vec<(&str, &str)> = vec![("step", "confirm"), ("version", "1"), ("digest", &digest)];
    confirm.extend(keep.iter().map(|k| ("perm", *k)));
    let r = ada_b.submit(&page, &page, &confirm).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("no active Administrator holding every permission"));
    assert_eq!(crate::presets::keys_of(&app, everything).len(), all.len(), "nothing half-saved");
    assert_eq!(ada_b.get("/api-tokens").await.status(), 200, "Ada keeps everything");
}

/// M4: failures from one address cannot lock the account for another address.
#[tokio::test]
async fn an_attacker_cannot_keep_an_account_locked_for_everyone() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", Role::Administrator);
    let attacker = app.browser_from(2);
    for _ in 0..custodian::auth::throttle::ACCOUNT_LIMIT + 2 {
        attacker.login("ada@example.com", "wrong").await;
    }
    assert_eq!(attacker.login("ada@example.com", TEST_PASSWORD).await.status(), 429, "that address is locked out");
    let ada = app.browser_from(3);
    let started = std::time::Instant::now();
    assert_eq!(ada.login("ada@example.com", TEST_PASSWORD).await.status(), 303, "Ada, elsewhere, signs in");
    let waited = started.elapsed().as_millis() as u64;
    assert!(waited < custodian::auth::throttle::MAX_SLOWDOWN_MS + 1_500, "only slowed, boundedly: {waited} ms");
}

/// L2: a Unicode case variant of the email is the same throttle key as the account it finds.
#[tokio::test]
async fn a_unicode_case_variant_does_not_sidestep_the_lock() {
    let app = spawn_app().await;
    app.create_user("admin@example.com", Role::Administrator);
    let b = app.browser();
    for _ in 0..custodian::auth::throttle::ACCOUNT_LIMIT {
        b.login("admin@example.com", "wrong").await;
    }
    assert_eq!(b.login("admin@example.com", TEST_PASSWORD).await.status(), 429);
    assert_eq!(b.login("adm\u{130}n@example.com", TEST_PASSWORD).await.status(), 429);
}

/// L3: after sign-in, only a path on this site, as the browser will read it.
#[tokio::test]
async fn sign_in_never_redirects_off_the_site() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", Role::Administrator);
    for next in ["/\t/evil.example", "/\n/evil.example", "/\\evil.example", "//evil.example", "https://evil.example"] {
        let b = app.browser();
        let r = b
            .submit("/login", "/login", &[("email", "ada@example.com"), ("password", TEST_PASSWORD), ("next", next)])
            .await;
        assert_eq!((r.status().as_u16(), location(&r)), (303, "/".to_string()), "next={next:?}");
    }
    let b = app.browser();
    let r = b
        .submit(
            "/login",
            "/login",
            &[("email", "ada@example.com"), ("password", TEST_PASSWORD), ("next", "/contacts?q=a")],
        )
        .await;
    assert_eq!(location(&r), "/contacts?q=a");
}

/// Whether `b` can open the card of contact `id` (200) or not (404).
async fn card_status(b: &Browser, id: i64) -> u16 {
    b.get(&format!("/contacts/{id}")).await.status().as_u16()
}

/// H3: a shared rule acts with its owner's authority, never wider on access.
#[tokio::test]
async fn a_shared_rule_and_an_anonymous_form_post_do_not_open_a_confidential_contact() {
    use crate::fixtures::*;
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (mia_id, mia) = app.signed_in("mia@example.com", Role::Marketer).await;
    let olga = app.create_user("olga@example.com", Role::Manager);
    let mut c = app.conn();
    let secret = contact(&mut c, "Secret", Some(olga));
    set_confidential(&mut c, secret);
    let hidden = contact(&mut c, "Hidden", Some(olga));
    let (_, key) = crate::forms::make_form(&app, &admin, &[("name", "Contact us"), ("enabled", "on")]).await;
    let r = mia
        .submit(
            "/automation/new",
            "/automation/new",
            &[
                ("name", "Mine"),
                ("trigger", "form_submitted"),
                ("action", "add_co_owner"),
                ("action_user", "mia@example.com"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let rule: i64 = custodian::db::schema::automation_rules::table
        .select(custodian::db::schema::automation_rules::id)
        .first(&mut c)
        .unwrap();
    let r = mia.submit("/automation", &format!("/automation/{rule}/share"), &[("on", "true")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(card_status(&mia, secret).await, 404);
    for email in ["secret@contacts.test", "hidden@contacts.test"] {
        assert_eq!(crate::forms::post(&app, &key, &[("email", email)]).await.status(), 200);
    }
    assert_eq!(card_status(&mia, secret).await, 404, "still hidden from her");
    assert_eq!(card_status(&mia, hidden).await, 404, "a contact she cannot assign by hand neither");
    assert!(co_owners_of(&mut c, secret).is_empty() && co_owners_of(&mut c, hidden).is_empty());
    let _ = mia_id;
}

/// M1: an anonymous submission that matches an existing contact widens nobody's access.
#[tokio::test]
async fn a_public_form_never_widens_access_to_an_existing_contact() {
    use crate::fixtures::*;
    use custodian::db::schema::{contact_access_groups, contact_tags, contacts, notifications};
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let olga = app.create_user("olga@example.com", Role::Manager);
    let (_, sam) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let mut c = app.conn();
    let g = group(&mut c, "Open to Sam");
    let sam_id: i64 = users::table.filter(users::email.eq("sam@example.com")).select(users::id).first(&mut c).unwrap();
    grant(&mut c, g, Some(sam_id), None, "edit");
    let known = contact(&mut c, "Known", Some(olga));
    diesel::update(contacts::table.find(known)).set(contacts::last_name.eq("Kowalski")).execute(&mut c).unwrap();
    let gs = g.to_string();
    let (_, key) = crate::forms::make_form(
        &app,
        &admin,
        &[("name", "Newsletter"), ("tags", "web"), ("group", &gs), ("owner", "sam@example.com"), ("enabled", "on")],
    )
    .await;
    assert!(admin.page("/forms").await.contains("gives the people those groups are granted to access to it"));
    assert_eq!(card_status(&sam, known).await, 404);
    let r = app
        .browser()
        .client
        .post(app.browser().url(&format!("/f/{key}")))
        .header("Origin", "https://evil.example")
        .form(&[
            ("email", "KNOWN@contacts.test"),
            ("first_name", "Mallory"),
            ("last_name", "X"),
            ("phone", "+48600000000"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(card_status(&sam, known).await, 404, "no group, no owner: still hidden from Sam");
    let (first, last, phone): (String, String, Option<String>) = contacts::table
        .find(known)
        .select((contacts::first_name, contacts::last_name, contacts::phone))
        .first(&mut c)
        .unwrap();
    assert_eq!((first.as_str(), last.as_str()), ("Known", "Kowalski"), "non-empty fields kept");
    assert_eq!(phone.as_deref(), Some("+48600000000"), "an empty field is filled");
    let groups: i64 = contact_access_groups::table
        .filter(contact_access_groups::contact_id.eq(known))
        .count()
        .get_result(&mut c)
        .unwrap();
    let tags: i64 = contact_tags::table.filter(contact_tags::contact_id.eq(known)).count().get_result(&mut c).unwrap();
    assert_eq!((groups, tags), (0, 0));
    let told: Vec<String> = notifications::table
        .filter(notifications::user_id.eq(olga))
        .select(notifications::message)
        .load(&mut c)
        .unwrap();
    assert_eq!(told.len(), 1, "the owner is told of the submission");
    assert!(told[0].contains("Newsletter"), "{told:?}");
}

/// M2: the send preview counts nothing the user cannot see (no search oracle).
#[tokio::test]
async fn the_send_preview_is_no_oracle_for_hidden_contacts() {
    use crate::fixtures::*;
    let app = spawn_app().await;
    let olga = app.create_user("olga@example.com", Role::Manager);
    let (sam_id, sam) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let mut c = app.conn();
    let hidden = contact(&mut c, "Zebediah", Some(olga));
    set_confidential(&mut c, hidden);
    contact(&mut c, "Zelda", Some(sam_id));
    let t = crate::send::template(&mut c, sam_id, custodian::messaging::Channel::Email, false);
    // The count for a prefix only the hidden contact has equals that of one nobody has.
    let mut seen = Vec::new();
    for q in ["zebediah", "qqqqqq", "zelda"] {
        let html = sam.page(&format!("/send/preview?channel=email&template={t}&audience=filter&q={q}")).await;
        let at = html.find("id=\"count-total\">").expect("a total") + "id=\"count-total\">".len();
        seen.push(html[at..].split('<').next().unwrap().trim().to_string());
    }
    assert_eq!(seen, ["0", "0", "1"], "the hidden contact shows in no count");
}

/// M3: a contact planted through a public form cannot run a formula in the export.
#[tokio::test]
async fn exported_csv_cells_never_start_a_formula() {
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (_, key) = crate::forms::make_form(&app, &admin, &[("name", "Contact us"), ("enabled", "on")]).await;
    let evil = "=HYPERLINK(\"http://evil.example\",\"x\")";
    let r =
        crate::forms::post(&app, &key, &[("email", "evil@x.test"), ("first_name", evil), ("last_name", "@SUM(A1)")])
            .await;
    assert_eq!(r.status(), 200);
    let csv = admin.get("/contacts/export.csv").await.text().await.unwrap();
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let cells: Vec<String> =
        rows.records().flat_map(|r| r.unwrap().iter().map(String::from).collect::<Vec<_>>()).collect();
    assert!(cells.iter().any(|c| c == &format!("'{evil}")), "{csv}");
    assert!(cells.iter().any(|c| c == "'@SUM(A1)"), "{csv}");
    assert!(!cells.iter().any(|c| c.starts_with(['=', '@'])), "{csv}");
}

/// M5: "Set me" by an access-group grantee does not silently take the contact from its owner.
#[tokio::test]
async fn set_me_keeps_the_displaced_owner_who_is_told_and_keeps_access() {
    use crate::fixtures::*;
    let app = spawn_app().await;
    let (olga, olga_b) = app.signed_in("olga@example.com", Role::Manager).await;
    let (mia, mia_b) = app.signed_in("mia@example.com", Role::Marketer).await;
    let mut c = app.conn();
    // Olga is a Manager but only-owned, so it is her ownership that lets her see it.
    set_only_owned(&mut c, olga);
    let x = contact(&mut c, "Xena", Some(olga));
    let g = group(&mut c, "Shared");
    grant(&mut c, g, Some(mia), None, "edit");
    in_group(&mut c, x, g);
    let card = format!("/contacts/{x}");
    let r = mia_b.submit(&card, &format!("{card}/owners"), &[("op", "set_me")]).await;
    assert_eq!(r.status(), 303);
    let r = mia_b.submit(&card, &format!("{card}/confidential"), &[("confidential", "true")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(co_owners_of(&mut c, x), vec![(olga, false)], "Olga stays a writable co-owner");
    assert_eq!(card_status(&olga_b, x).await, 200, "and still opens it");
    let told: i64 = custodian::db::schema::notifications::table
        .filter(custodian::db::schema::notifications::user_id.eq(olga))
        .count()
        .get_result(&mut c)
        .unwrap();
    assert_eq!(told, 2, "told of the new main owner and of the confidential flag");
}

/// I: cards, exports and the audit log are never kept by a browser or proxy.
#[tokio::test]
async fn sensitive_responses_are_not_stored_but_assets_are_cacheable() {
    let app = spawn_app().await;
    let (ada, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let x = crate::fixtures::contact(&mut app.conn(), "Xena", Some(ada));
    for path in [format!("/contacts/{x}"), "/contacts/export.csv".into(), "/audit".into(), "/audit.csv".into()] {
        let r = admin.get(&path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers().get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"), "{path}");
    }
    let r = admin.get("/static/custodian.css").await;
    assert_eq!(r.status(), 200);
    assert_ne!(r.headers().get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"));
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    // Embedded in the binary: revalidated by its ETag, the same bytes as the file in the tree.
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let body = r.bytes().await.unwrap();
    assert_eq!(&body[..], &std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/custodian.css")).unwrap()[..]);
    let again =
        admin.client.get(admin.url("/static/custodian.css")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(admin.get("/static/js/checklist.js").await.status(), 200);
    for missing in ["/static/nothing.css", "/static/../Cargo.toml", "/static/%2e%2e/Cargo.toml", "/static/"] {
        assert_eq!(admin.get(missing).await.status(), 404, "{missing}");
    }
}

/// L10: no CSRF token in a URL; multipart forms carry it as their first part.
#[tokio::test]
async fn the_csrf_token_never_travels_in_a_url() {
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    for page in ["/users/new", "/contacts/import"] {
        let html = admin.page(page).await;
        assert!(!html.contains("csrf_token="), "{page} puts the token in a URL");
    }
    let token = csrf_token(&admin.page("/contacts/import").await).unwrap();
    let file =
        "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nemail\na@b.test\r\n--x--\r\n";
    // In the URL it no longer counts.
    let r = admin
        .client
        .post(admin.url(&format!("/contacts/import?csrf_token={}", custodian::web::urls::url_encode(&token))))
        .header("content-type", "multipart/form-data; boundary=x")
        .body(file)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // As the first part it does.
    let r = admin
        .client
        .post(admin.url("/contacts/import"))
        .header("content-type", "multipart/form-data; boundary=x")
        .body(format!("--x\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n{file}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}

/// L4: a hidden contact's email is refused without confirming that contact exists.
#[tokio::test]
async fn duplicate_emails_confirm_only_contacts_the_user_can_see() {
    use crate::fixtures::*;
    let app = spawn_app().await;
    let olga = app.create_user("olga@example.com", Role::Manager);
    let (sam_id, sam) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let mut c = app.conn();
    contact(&mut c, "Hidden", Some(olga));
    contact(&mut c, "Mine", Some(sam_id));
    let r =
        sam.submit("/contacts/new", "/contacts/new", &[("email", "HIDDEN@contacts.test"), ("first_name", "X")]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(!html.contains("already has this email"), "{html}");
    assert!(html.contains("This email address cannot be used here"));
    let r = sam.submit("/contacts/new", "/contacts/new", &[("email", "mine@contacts.test"), ("first_name", "X")]).await;
    assert!(r.text().await.unwrap().contains("Another contact already has this email"));
}

/// L5: an audit viewer who is no Administrator does not read hidden contacts' data there.
#[tokio::test]
async fn the_audit_log_redacts_contacts_the_viewer_cannot_see() {
    use crate::fixtures::*;
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (olga, olga_b) = app.signed_in("olga@example.com", Role::Manager).await;
    let auditor = app.create_user("audrey@example.com", Role::User);
    app.override_key(auditor, "administration.audit_view", true);
    let audrey = app.browser();
    assert_eq!(audrey.login("audrey@example.com", TEST_PASSWORD).await.status(), 303);
    let x = contact(&mut app.conn(), "Secret", Some(olga));
    set_confidential(&mut app.conn(), x);
    let card = format!("/contacts/{x}");
    let r = olga_b.submit(&card, &format!("{card}/tags"), &[("add", "whistleblower-case")]).await;
    assert_eq!(r.status(), 303);
    let page = audrey.page("/audit").await;
    assert!(page.contains("contact.tags"), "the entry is listed");
    assert!(!page.contains("whistleblower-case"), "without its data");
    assert!(page.contains("changed the tags of a contact you cannot see") && !page.contains("Secret"), "nor its name");
    let csv = audrey.get("/audit.csv").await.text().await.unwrap();
    assert!(csv.contains("contact.tags") && !csv.contains("whistleblower-case"));
    assert!(admin.page("/audit").await.contains("whistleblower-case"), "an Administrator reads it all");
}

/// L9: the conflict form merges — saving it never reverts the other editor's change.
#[tokio::test]
async fn saving_the_conflict_form_keeps_the_other_editors_change() {
    use crate::fixtures::*;
    use custodian::db::schema::contacts;
    let app = spawn_app().await;
    let (sam_id, sam) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let (_, mgr) = app.signed_in("max@example.com", Role::Manager).await;
    let id = contact(&mut app.conn(), "Original", Some(sam_id));
    let path = format!("/contacts/{id}");
    let token = csrf_token(&sam.page(&path).await).unwrap();
    let orig = [
        ("version", "1"),
        ("orig_first_name", "Original"),
        ("orig_email", "original@contacts.test"),
        ("orig_company", ""),
    ];
    // The manager changes the company; Sam, from the same version, changes the first name.
    let mut theirs = orig.to_vec();
    theirs.extend([("first_name", "Original"), ("email", "original@contacts.test"), ("company", "Acme")]);
    assert_eq!(mgr.submit(&path, &path, &theirs).await.status(), 303);
    let mut mine = vec![("csrf_token", token.as_str())];
    mine.extend(orig);
    mine.extend([("first_name", "Samuel"), ("email", "original@contacts.test"), ("company", "")]);
    let r = sam.post_raw(&path, &mine).await;
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    // Save the conflict form exactly as the browser would submit it.
    let field = |name: &str| {
        let at = html.find(&format!("name=\"{name}\"")).unwrap_or_else(|| panic!("no {name}"));
        let tag = &html[html[..at].rfind('<').unwrap()..at + html[at..].find('>').unwrap()];
        tag.split("value=\"").nth(1).map(|v| v.split('"').next().unwrap().to_string()).unwrap_or_default()
    };
    let form: Vec<(String, String)> =
        ["version", "orig_first_name", "orig_email", "orig_company", "first_name", "email", "company"]
            .iter()
            .map(|n| (n.to_string(), field(n)))
            .collect();
    assert_eq!(form[6].1, "Acme", "the untouched field shows the stored value");
    assert_eq!(form[4].1, "Samuel", "Sam's change is kept");
    let mut post: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
    post.extend(form.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    assert_eq!(sam.post_raw(&path, &post).await.status(), 303);
    let (first, company): (String, String) =
        contacts::table.find(id).select((contacts::first_name, contacts::company)).first(&mut app.conn()).unwrap();
    assert_eq!((first.as_str(), company.as_str()), ("Samuel", "Acme"));
}

/// L7: two overlapping bulk runs are serialised: the overlap ends wholly one run's, never half.
#[tokio::test]
async fn overlapping_bulk_runs_do_not_interleave() {
    use crate::fixtures::*;
    use custodian::db::schema::contacts;
    let app = spawn_app().await;
    let (_, ada) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (_, bea) = app.signed_in("bea@example.com", Role::Administrator).await;
    let ids: Vec<i64> = (0..300).map(|i| contact(&mut app.conn(), &format!("C{i}"), None)).collect();
    let pick = |range: std::ops::Range<usize>| ids[range].iter().map(|i| i.to_string()).collect::<Vec<_>>();
    let (a_ids, b_ids) = (pick(0..200), pick(100..300));
    let form = |who: &'static str, sel: &[String]| {
        let mut f: Vec<(String, String)> = sel.iter().map(|i| ("ids".to_string(), i.clone())).collect();
        f.push(("set_main_owner".into(), who.into()));
        f
    };
    async fn preview(b: &Browser, f: Vec<(String, String)>) -> String {
        let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = b.submit("/contacts/manage", "/contacts/manage/preview", &fields).await;
        let html = r.text().await.unwrap();
        html.split("name=\"token\" value=\"").nth(1).expect("a preview").split('"').next().unwrap().to_string()
    }
    let ta = preview(&ada, form("ada@example.com", &a_ids)).await;
    let tb = preview(&bea, form("bea@example.com", &b_ids)).await;
    let (fa, fb) = ([("token", ta.as_str())], [("token", tb.as_str())]);
    let (ra, rb) = tokio::join!(
        ada.submit("/", "/contacts/manage/execute", &fa),
        bea.submit("/", "/contacts/manage/execute", &fb)
    );
    assert!(ra.status().as_u16() < 500 && rb.status().as_u16() < 500);
    let (ra, rb) = tokio::join!(bulk_run_ended(&ada, ra), bulk_run_ended(&bea, rb));
    assert_eq!((ra.status().as_u16(), rb.status().as_u16()), (200, 200), "both runs ended");
    let overlap: Vec<Option<i64>> = contacts::table
        .filter(contacts::id.eq_any(&ids[100..200]))
        .select(contacts::main_owner_id)
        .load(&mut app.conn())
        .unwrap();
    let owners: std::collections::BTreeSet<Option<i64>> = overlap.into_iter().collect();
    assert_eq!(owners.len(), 1, "the overlap is wholly one run's: {owners:?}");
}

/// L6: two Administrators deactivating each other at once: never a 500 (one order of locks).
#[tokio::test]
async fn administrators_deactivating_each_other_at_once_get_no_500() {
    for round in 0..5 {
        // Only the two: each request passes the last-Administrator check and locks.
        let app = spawn_app().await;
        let (a, ab) = app.signed_in(&format!("a{round}@example.com"), Role::Administrator).await;
        let (b, bb) = app.signed_in(&format!("b{round}@example.com"), Role::Administrator).await;
        let (ta, tb) = (csrf_token(&ab.page("/").await).unwrap(), csrf_token(&bb.page("/").await).unwrap());
        let (pa, pb) = (format!("/users/{b}/deactivate"), format!("/users/{a}/deactivate"));
        let (fa, fb) = ([("csrf_token", ta.as_str())], [("csrf_token", tb.as_str())]);
        let (ra, rb) = tokio::join!(ab.post_raw(&pa, &fa), bb.post_raw(&pb, &fb));
        let statuses = [ra.status().as_u16(), rb.status().as_u16()];
        for s in statuses {
            assert!(s < 500, "round {round}: {s}");
        }
        // Issue #27: and a complete Administrator remains — exactly one of the two went.
        let active: Vec<i64> = users::table
            .filter(users::id.eq_any([a, b]))
            .filter(users::status.eq("active"))
            .select(users::id)
            .load(&mut app.conn())
            .unwrap();
        assert_eq!(active.len(), 1, "round {round}: {statuses:?}, still active: {active:?}");
        let perms = custodian::permissions::store::effective_of(&mut app.conn(), active[0]).unwrap();
        assert_eq!(perms, custodian::permissions::PermSet::all(), "round {round}: the one left is complete");
    }
}

/// I: avatars are for the user screens: one's own, or with users_view.
#[tokio::test]
async fn avatars_are_shown_only_to_their_owner_and_user_managers() {
    let app = spawn_app().await;
    let (sam, sam_b) = app.signed_in("sam@example.com", Role::Salesperson).await;
    let (_, mia_b) = app.signed_in("mia@example.com", Role::Marketer).await;
    let (_, ada_b) = app.signed_in("ada@example.com", Role::Administrator).await;
    let path = format!("/users/{sam}/avatar");
    assert_eq!(sam_b.get(&path).await.status(), 200);
    assert_eq!(ada_b.get(&path).await.status(), 200);
    assert_eq!(mia_b.get(&path).await.status(), 403);
}

/// Segments act with the authority of whoever saved them: their preview counts, and their
/// access group receives, only contacts that user could assign by hand.
#[tokio::test]
async fn a_segment_puts_into_its_group_only_contacts_its_saver_may_assign() {
    use crate::fixtures::*;
    use custodian::db::schema::{contact_access_groups, contact_tags};
    let app = spawn_app().await;
    let olga = app.create_user("olga@example.com", Role::Manager);
    // A User who manages access groups: sees and assigns only what she owns.
    let uma = app.create_user("uma@example.com", Role::User);
    app.override_key(uma, "administration.access_groups_manage", true);
    let b = app.browser();
    assert_eq!(b.login("uma@example.com", TEST_PASSWORD).await.status(), 303);
    let mut c = app.conn();
    let g = group(&mut c, "Leak");
    grant(&mut c, g, Some(uma), None, "act");
    let mine = contact(&mut c, "Mine", Some(uma));
    let secret = contact(&mut c, "Secret", Some(olga));
    set_confidential(&mut c, secret);
    for id in [mine, secret] {
        diesel::insert_into(contact_tags::table)
            .values((contact_tags::contact_id.eq(id), contact_tags::tag.eq("vip")))
            .execute(&mut c)
            .unwrap();
    }
    let gs = g.to_string();
    let r = b
        .submit(
            "/segments",
            "/segments",
            &[("name", "VIPs"), ("tags", "vip"), ("group_id", &gs), ("keep_applying", "on")],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let seg = location(&r);
    let html = b.page(&seg).await;
    assert!(html.contains("<strong id=\"matched\">1</strong>"), "the preview counts what she may assign: {html}");
    assert!(html.contains("with the authority of <strong>uma@example.com</strong>"), "the page says whom it acts for");
    b.submit(&seg, &format!("{seg}/apply"), &[]).await;
    let in_group: Vec<i64> = contact_access_groups::table
        .filter(contact_access_groups::group_id.eq(g))
        .select(contact_access_groups::contact_id)
        .load(&mut c)
        .unwrap();
    assert_eq!(in_group, vec![mine]);
    assert_eq!(card_status(&b, secret).await, 404, "the group grant did not open it");
}

/// I: the public-form limit holds per form too, not only per address.
#[tokio::test]
async fn a_form_flooded_from_many_addresses_stops_accepting() {
    use custodian::public_forms::submission::{PER_FORM_MINUTE, PER_MINUTE};
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (_, key) = crate::forms::make_form(&app, &admin, &[("name", "Contact us"), ("enabled", "on")]).await;
    let mut accepted = 0;
    // Each address stays under its own limit; together they exceed the form's.
    for n in 0..(PER_FORM_MINUTE / PER_MINUTE + 2) as u8 {
        let b = app.browser_from(10 + n);
        for i in 0..PER_MINUTE {
            let r = b.post_raw(&format!("/f/{key}"), &[("email", &format!("p{n}-{i}@flood.test"))]).await;
            if r.status() == 200 {
                accepted += 1;
            }
        }
    }
    assert_eq!(accepted, PER_FORM_MINUTE);
}

/// I: an import left running by a stopped instance is told from one in progress (its rows read
/// were never saved), without taking the claim a live run needs.
#[test]
fn an_interrupted_import_is_told_from_one_in_progress() {
    use custodian::imports::run::{claim, in_progress};
    let db = TestDb::new();
    let (mut running, mut page) = (db.conn(), db.conn());
    assert!(!in_progress(&mut page, 42).unwrap());
    running
        .transaction::<(), diesel::result::Error, _>(|c| {
            assert!(claim(c, 42)?);
            assert!(in_progress(&mut page, 42)?, "a live run is seen");
            assert!(!in_progress(&mut page, 43)?);
            Err(diesel::result::Error::RollbackTransaction)
        })
        .unwrap_err();
    assert!(!in_progress(&mut page, 42).unwrap(), "a run that ended (or died) holds nothing");
}

/// Review of #16: managing an account (password, status, deletion) is giving its powers, so a
/// user manager manages only accounts whose permissions they hold, and never names themselves
/// successor of a deleted user's contacts.
#[tokio::test]
async fn a_user_manager_cannot_take_over_an_account_more_powerful_than_theirs() {
    let app = spawn_app().await;
    let ada = app.create_user("ada@example.com", Role::Administrator);
    let uma = plain_user_manager(&app, "uma@example.com");
    let b = app.browser();
    assert_eq!(b.login("uma@example.com", TEST_PASSWORD).await.status(), 303);
    let olga = app.create_user("olga@example.com", Role::Manager);
    let sam = app.create_user("sam@example.com", Role::Salesperson);
    // A new password for the Administrator, or for a Manager (contacts.all, which Uma lacks).
    for target in [ada, olga] {
        assert_eq!(b.get(&format!("/users/{target}/edit")).await.status(), 403);
        b.submit(&format!("/users/{target}"), &format!("/users/{target}/deactivate"), &[]).await;
        let status: String = users::table.find(target).select(users::status).first(&mut app.conn()).unwrap();
        assert_eq!(status, "active", "user {target}");
    }
    // A Salesperson's account is within her reach, but she may not take over its contacts.
    assert_eq!(b.get(&format!("/users/{sam}/edit")).await.status(), 200);
    let r = b
        .submit(&format!("/users/{sam}/delete"), &format!("/users/{sam}/delete"), &[("successor", &uma.to_string())])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Only an Administrator can name themselves as successor"));
}

/// Review of #16: a lock that expired re-arms after the next run of failures, and no typed
/// email can make an account key collide with another's pair key.
#[test]
fn the_sign_in_lock_re_arms_after_it_expires() {
    use custodian::auth::throttle::{self, ACCOUNT_LIMIT};
    let db = TestDb::new();
    let mut c = db.conn();
    let keys = throttle::keys(&mut c, "ada@example.com", "10.0.0.1").unwrap();
    let locked = |c: &mut PgConnection| throttle::locked_until(c, std::slice::from_ref(&keys.pair)).unwrap().is_some();
    for _ in 0..ACCOUNT_LIMIT {
        throttle::admit(&mut c, &keys).unwrap();
    }
    assert!(locked(&mut c));
    // The lock runs out (its failures are still recent).
    diesel::sql_query("UPDATE login_attempts SET locked_until = now() - interval '1 second' WHERE key = $1")
        .bind::<diesel::sql_types::Text, _>(&keys.pair)
        .execute(&mut c)
        .unwrap();
    assert!(!locked(&mut c));
    for _ in 0..ACCOUNT_LIMIT {
        throttle::admit(&mut c, &keys).unwrap();
    }
    assert!(locked(&mut c), "locked again after another run of failures");
    let forged = throttle::keys(&mut c, &keys.pair.replacen("acct:", "", 1), "10.0.0.2").unwrap();
    assert_ne!(forged.account, keys.pair);
    assert!(keys.pair.starts_with("pair:") && keys.account.starts_with("acct:"));
}

/// Review of #16: a user manager held to "only contacts this user owns" cannot lift it from
/// anyone (that would give access they do not have).
#[tokio::test]
async fn a_data_setting_the_actor_is_held_to_cannot_be_lifted_by_them() {
    use crate::fixtures::set_only_owned;
    let app = spawn_app().await;
    let uma = plain_user_manager(&app, "uma@example.com");
    set_only_owned(&mut app.conn(), uma);
    let b = app.browser();
    assert_eq!(b.login("uma@example.com", TEST_PASSWORD).await.status(), 303);
    let sam = app.create_user("sam@example.com", Role::Salesperson);
    set_only_owned(&mut app.conn(), sam);
    let (base, w, step2) = edit_salesperson(&app, &b, sam, "salesperson").await;
    let f = pairs(&step2);
    // No only_owned box: lifted.
    let r = permissions(&b, &base, &w, &f).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("You are limited by this data setting yourself"));
    assert_eq!(save(&b, &base, &w).await.status(), 422);
    let still: bool = users::table.find(sam).select(users::only_owned).first(&mut app.conn()).unwrap();
    assert!(still);
}

/// Review of #16: a bulk run checks the permissions its actions need again when it executes.
#[tokio::test]
async fn a_bulk_run_is_refused_when_its_permission_went_since_the_preview() {
    use crate::fixtures::*;
    use custodian::db::schema::contact_access_groups;
    let app = spawn_app().await;
    let (mia, b) = app.signed_in("mia@example.com", Role::Marketer).await;
    let mut c = app.conn();
    let x = contact(&mut c, "Mine", Some(mia));
    let g = group(&mut c, "Target").to_string();
    let r =
        b.submit("/contacts/manage", "/contacts/manage/preview", &[("ids", &x.to_string()), ("add_group", &g)]).await;
    let html = r.text().await.unwrap();
    let token = html.split("name=\"token\" value=\"").nth(1).expect("a preview").split('"').next().unwrap().to_string();
    app.override_key(mia, "contacts.assign", false);
    let r = b.submit("/", "/contacts/manage/execute", &[("token", &token)]).await;
    assert_eq!(location(&r), "/contacts/manage");
    assert!(b.page("/contacts/manage").await.contains("needs the contacts.assign permission"));
    let n: i64 = contact_access_groups::table.count().get_result(&mut c).unwrap();
    assert_eq!(n, 0, "nothing was done");
}

/// Review of #16: the input boundary holds whatever the content type says, and for multipart
/// text parts too.
#[tokio::test]
async fn control_characters_are_refused_in_plain_text_and_multipart_bodies() {
    let app = spawn_app().await;
    let (_, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (_, key) = crate::forms::make_form(&app, &admin, &[("name", "Contact us"), ("enabled", "on")]).await;
    let r = app
        .browser()
        .client
        .post(app.browser().url(&format!("/f/{key}")))
        .header("content-type", "text/plain")
        .body("email=a%40b.test&first_name=a%00")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let fields = crate::users::person("nul@example.com");
    let fields: Vec<(&str, &str)> =
        fields.into_iter().map(|(k, v)| if k == "first_name" { (k, "Gr\0ace") } else { (k, v) }).collect();
    let r = details(&admin, "/users/new", None, &fields, None).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("first_name"));
}

/// Review of #16: a form set to update existing contacts changes their access only where its
/// last saver could by hand.
#[tokio::test]
async fn a_form_updating_existing_contacts_acts_with_its_savers_authority() {
    use crate::fixtures::*;
    use custodian::db::schema::contact_access_groups;
    let app = spawn_app().await;
    let (mia, b) = app.signed_in("mia@example.com", Role::Marketer).await;
    app.override_key(mia, "administration.settings", true);
    let olga = app.create_user("olga@example.com", Role::Manager);
    let mut c = app.conn();
    let g = group(&mut c, "Marketing");
    grant(&mut c, g, Some(mia), None, "edit");
    let secret = contact(&mut c, "Secret", Some(olga));
    set_confidential(&mut c, secret);
    let mine = contact(&mut c, "Mine", Some(mia));
    let gs = g.to_string();
    let (_, key) = crate::forms::make_form(
        &app,
        &b,
        &[("name", "Signup"), ("group", &gs), ("enabled", "on"), ("update_existing", "on")],
    )
    .await;
    for email in ["secret@contacts.test", "mine@contacts.test"] {
        assert_eq!(crate::forms::post(&app, &key, &[("email", email)]).await.status(), 200);
    }
    let joined: Vec<i64> = contact_access_groups::table
        .filter(contact_access_groups::group_id.eq(g))
        .select(contact_access_groups::contact_id)
        .load(&mut c)
        .unwrap();
    assert_eq!(joined, vec![mine], "the confidential contact did not join her group");
    assert_eq!(card_status(&b, secret).await, 404);
}

/// Review of #16: a shared tag rule reaching past its owner does not feed live segments (which
/// would put the contact into a group granted to that owner).
#[tokio::test]
async fn a_shared_tag_rule_beyond_its_owner_starts_no_segment() {
    use crate::automation::{base, insert_rule, R};
    use crate::fixtures::*;
    use custodian::db::schema::{contact_access_groups, contacts};
    let app = spawn_app().await;
    let (ada, admin) = app.signed_in("ada@example.com", Role::Administrator).await;
    let (mia, mia_b) = app.signed_in("mia@example.com", Role::Marketer).await;
    let mut c = app.conn();
    let g = group(&mut c, "Marketing");
    grant(&mut c, g, Some(mia), None, "view");
    insert_rule(&mut c, R { tag: Some("vip"), shared: true, ..base(mia, "contact_created", "add_tag") });
    let r = admin
        .submit(
            "/segments",
            "/segments",
            &[("name", "VIPs"), ("tags", "vip"), ("group_id", &g.to_string()), ("keep_applying", "on")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r =
        admin.submit("/contacts/new", "/contacts/new", &[("first_name", "Newcomer"), ("email", "new@x.test")]).await;
    assert_eq!(r.status(), 303);
    let id: i64 = contacts::table.filter(contacts::email.eq("new@x.test")).select(contacts::id).first(&mut c).unwrap();
    let _ = ada;
    let tags: i64 = custodian::db::schema::contact_tags::table
        .filter(custodian::db::schema::contact_tags::contact_id.eq(id))
        .count()
        .get_result(&mut c)
        .unwrap();
    assert_eq!(tags, 1, "the shared rule tagged it");
    let in_g: i64 =
        contact_access_groups::table.filter(contact_access_groups::group_id.eq(g)).count().get_result(&mut c).unwrap();
    assert_eq!(in_g, 0, "but its segment did not follow");
    assert_eq!(card_status(&mia_b, id).await, 404);
}

/// A sign-in through a proxy that names `client` in X-Forwarded-For; the status.
async fn login_via(b: &Browser, client: &str, email: &str, password: &str) -> u16 {
    let token = csrf_token(&b.page("/login").await).unwrap();
    b.client
        .post(b.url("/login"))
        .header("x-forwarded-for", format!("{client}, 127.0.0.1"))
        .form(&[("csrf_token", token.as_str()), ("email", email), ("password", password), ("next", "/")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Review of #16: behind a trusted proxy the throttle counts real clients (from
/// X-Forwarded-For); from anyone else that header is ignored.
#[tokio::test]
async fn behind_a_trusted_proxy_the_throttle_counts_real_clients() {
    use custodian::auth::throttle::ACCOUNT_LIMIT;
    let app = spawn_app_with(TestDb::new(), None, |c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    app.create_user("ada@example.com", Role::Administrator);
    let (attacker, ada) = (app.browser(), app.browser());
    for _ in 0..ACCOUNT_LIMIT {
        login_via(&attacker, "203.0.113.5", "ada@example.com", "wrong").await;
    }
    assert_eq!(
        login_via(&attacker, "203.0.113.5", "ada@example.com", TEST_PASSWORD).await,
        429,
        "that client is locked out"
    );
    assert_eq!(login_via(&ada, "198.51.100.7", "ada@example.com", TEST_PASSWORD).await, 303, "another one signs in");
    // Without the setting the header counts for nothing: a forged one cannot dodge a lock.
    let plain = spawn_app().await;
    plain.create_user("bob@example.com", Role::Administrator);
    let b = plain.browser();
    for i in 0..ACCOUNT_LIMIT {
        login_via(&b, &format!("198.51.100.{i}"), "bob@example.com", "wrong").await;
    }
    assert_eq!(b.login("bob@example.com", TEST_PASSWORD).await.status(), 429);
}
