//! Templates (SPEC screen 13): ownership, sharing, copying, validation and permissions.

use crate::helpers::*;
use custodian::db::schema::{audit_log, message_templates};
use custodian::db::views::user_overrides;
use custodian::permissions::Role;
use diesel::prelude::*;

/// (owner, name, channel, subject, body, shared) of a template.
type Row = (i64, String, String, Option<String>, String, bool);

fn row(app: &TestApp, id: i64) -> Option<Row> {
    message_templates::table
        .find(id)
        .select((
            message_templates::owner_id,
            message_templates::name,
            message_templates::channel,
            message_templates::subject,
            message_templates::body,
            message_templates::shared,
        ))
        .first(&mut app.conn())
        .optional()
        .unwrap()
}

fn count(app: &TestApp) -> i64 {
    message_templates::table.count().get_result(&mut app.conn()).unwrap()
}

/// Creates an email template through the screen; returns its id.
async fn create(b: &Browser, name: &str) -> i64 {
    let r = b
        .submit(
            "/templates/new",
            "/templates",
            &[
                ("name", name),
                ("channel", "email"),
                ("subject", "Hello {first_name}"),
                ("body", "Dear {first_name},\nnews."),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    location(&r).trim_start_matches("/templates/").parse().unwrap()
}

/// Takes `key` away from a user (per-user revoke override).
pub fn revoke(app: &TestApp, user: i64, key: &str) {
    diesel::insert_into(user_overrides::table)
        .values((user_overrides::user_id.eq(user), user_overrides::perm_key.eq(key), user_overrides::granted.eq(false)))
        .execute(&mut app.conn())
        .unwrap();
}

#[tokio::test]
async fn owner_creates_shares_and_others_only_view_and_copy() {
    let app = spawn_app().await;
    let (owner, a) = app.signed_in("owner@example.com", Role::Marketer).await;
    let (other, b) = app.signed_in("other@example.com", Role::Marketer).await;
    let id = create(&a, "Spring news").await;
    assert_eq!(row(&app, id).unwrap().0, owner);
    assert!(a.page(&format!("/templates/{id}")).await.contains("Spring news"));

    // Unshared: invisible to others.
    assert_eq!(b.get(&format!("/templates/{id}")).await.status(), 404);
    assert!(!b.page("/templates").await.contains("Spring news"));
    let r = b.submit("/templates", &format!("/templates/{id}/copy"), &[]).await;
    assert_eq!(r.status(), 404, "cannot copy what one cannot see");
    assert_eq!(b.get(&format!("/templates/{id}/edit")).await.status(), 404);

    // Only the owner shares.
    let r = b.submit("/templates", &format!("/templates/{id}/share"), &[("shared", "true")]).await;
    assert_eq!(r.status(), 404);
    assert!(!row(&app, id).unwrap().5);
    let r = a.submit(&format!("/templates/{id}"), &format!("/templates/{id}/share"), &[("shared", "true")]).await;
    assert_eq!(r.status(), 303);
    assert!(row(&app, id).unwrap().5);

    // Shared: others see it, cannot edit, delete or unshare it.
    assert!(b.page("/templates").await.contains("Spring news"));
    let card = b.page(&format!("/templates/{id}")).await;
    assert!(!card.contains(&format!("/templates/{id}/edit")), "no Edit button for a non-owner");
    assert_eq!(b.get(&format!("/templates/{id}/edit")).await.status(), 403);
    assert_eq!(b.get(&format!("/templates/{id}/delete")).await.status(), 403);
    let before = row(&app, id);
    let r = b
        .submit(
            "/templates",
            &format!("/templates/{id}/edit"),
            &[("name", "Hijacked"), ("channel", "email"), ("subject", "x"), ("body", "y"), ("version", "2")],
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = b.submit("/templates", &format!("/templates/{id}/delete"), &[]).await;
    assert_eq!(r.status(), 403);
    let r = b.submit("/templates", &format!("/templates/{id}/share"), &[("shared", "false")]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(row(&app, id), before, "refused actions changed nothing");

    // Copy belongs to whoever copied it, private.
    let r = b.submit(&format!("/templates/{id}"), &format!("/templates/{id}/copy"), &[]).await;
    assert_eq!(r.status(), 303);
    let copy_id: i64 = location(&r).trim_start_matches("/templates/").parse().unwrap();
    let copy = row(&app, copy_id).unwrap();
    assert_eq!((copy.0, copy.1.as_str(), copy.5), (other, "Copy of Spring news", false));
    assert_eq!(copy.4, before.as_ref().unwrap().4);
    // The copier edits their copy; the original is untouched.
    let r = b
        .submit(
            &format!("/templates/{copy_id}/edit"),
            &format!("/templates/{copy_id}/edit"),
            &[("name", "Mine now"), ("channel", "email"), ("subject", "S"), ("body", "B"), ("version", "1")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(row(&app, copy_id).unwrap().1, "Mine now");
    assert_eq!(row(&app, id), before);
    // The original's owner does not see the private copy.
    assert_eq!(a.get(&format!("/templates/{copy_id}")).await.status(), 404);

    // Unsharing hides it again.
    a.submit(&format!("/templates/{id}"), &format!("/templates/{id}/share"), &[("shared", "false")]).await;
    assert_eq!(b.get(&format!("/templates/{id}")).await.status(), 404);

    let actions: Vec<String> = audit_log::table
        .filter(audit_log::object_type.eq("template"))
        .order(audit_log::id)
        .select(audit_log::action)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(actions, ["template.create", "template.share", "template.copy", "template.update", "template.unshare"]);
}

#[tokio::test]
async fn owner_and_administrator_edit_and_delete() {
    let app = spawn_app().await;
    let (_, a) = app.signed_in("owner@example.com", Role::Marketer).await;
    let (_, admin) = app.signed_in("admin@example.com", Role::Administrator).await;
    let id = create(&a, "Private one").await;
    // An Administrator may open, edit and delete even an unshared template.
    let r = admin
        .submit(
            &format!("/templates/{id}/edit"),
            &format!("/templates/{id}/edit"),
            &[("name", "Fixed by admin"), ("channel", "sms"), ("subject", ""), ("body", "Short"), ("version", "1")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let t = row(&app, id).unwrap();
    assert_eq!((t.1.as_str(), t.2.as_str(), t.3.clone()), ("Fixed by admin", "sms", None));
    // The owner's form, opened at version 1, is now stale: refused, nothing saved.
    let r = a
        .submit(
            &format!("/templates/{id}"),
            &format!("/templates/{id}/edit"),
            &[("name", "Stale"), ("channel", "sms"), ("subject", ""), ("body", "Old text"), ("version", "1")],
        )
        .await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("Someone else changed this template"));
    assert_eq!(row(&app, id).unwrap().1, "Fixed by admin");
    // Delete goes through a confirmation page.
    let confirm = a.page(&format!("/templates/{id}/delete")).await;
    assert!(confirm.contains("will be deleted"));
    let r = a.submit(&format!("/templates/{id}/delete"), &format!("/templates/{id}/delete"), &[]).await;
    assert_eq!(r.status(), 303);
    assert!(row(&app, id).is_none());
    let id2 = create(&a, "Second").await;
    let r = admin.submit(&format!("/templates/{id2}/delete"), &format!("/templates/{id2}/delete"), &[]).await;
    assert_eq!(r.status(), 303);
    assert!(row(&app, id2).is_none());
}

#[tokio::test]
async fn invalid_templates_are_refused_with_messages_beside_fields() {
    let app = spawn_app().await;
    let (_, a) = app.signed_in("owner@example.com", Role::Marketer).await;
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (
            vec![("name", "".into()), ("channel", "email".into()), ("subject", "S".into()), ("body", "B".into())],
            "Give the template a name.",
        ),
        (
            vec![("name", "N".into()), ("channel", "fax".into()), ("subject", "S".into()), ("body", "B".into())],
            "Choose email or SMS.",
        ),
        (
            vec![
                ("name", "Kept name".into()),
                ("channel", "email".into()),
                ("subject", " ".into()),
                ("body", "B".into()),
            ],
            "An email needs a subject.",
        ),
        (
            vec![("name", "N".into()), ("channel", "email".into()), ("subject", "S".into()), ("body", "  ".into())],
            "Write the message.",
        ),
        (
            vec![("name", "N".into()), ("channel", "sms".into()), ("subject", "".into()), ("body", "x".repeat(919))],
            "An SMS can be at most 918 characters; this one has 919.",
        ),
    ];
    for (fields, message) in cases {
        let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = a.submit("/templates/new", "/templates", &f).await;
        assert_eq!(r.status(), 422, "{message}");
        let html = r.text().await.unwrap();
        assert!(html.contains(message), "{message}: {html}");
        assert!(html.contains("class=\"error\""));
        if message.starts_with("An email") {
            assert!(html.contains("value=\"Kept name\""), "typed values are kept");
        }
    }
    assert_eq!(count(&app), 0, "nothing saved");
    // 918 characters is fine for an SMS.
    let body = "y".repeat(918);
    let r = a.submit("/templates/new", "/templates", &[("name", "Long"), ("channel", "sms"), ("body", &body)]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(count(&app), 1);
}

#[tokio::test]
async fn template_permissions_are_checked_by_role() {
    let app = spawn_app().await;
    let (_, owner) = app.signed_in("owner@example.com", Role::Marketer).await;
    let id = create(&owner, "Shared one").await;
    owner.submit(&format!("/templates/{id}"), &format!("/templates/{id}/share"), &[("shared", "true")]).await;
    let before = row(&app, id);

    // Salesperson: templates.view only.
    let (_, s) = app.signed_in("sales@example.com", Role::Salesperson).await;
    assert!(s.page("/templates").await.contains("Shared one"));
    let card = s.page(&format!("/templates/{id}")).await;
    assert!(!card.contains("/copy\""), "no Copy button without templates.create");
    assert_eq!(s.get("/templates/new").await.status(), 403);
    let r = s.submit("/templates", "/templates", &[("name", "N"), ("channel", "sms"), ("body", "B")]).await;
    assert_eq!(r.status(), 403);
    let r = s.submit("/templates", &format!("/templates/{id}/copy"), &[]).await;
    assert_eq!(r.status(), 403);

    // Without templates.update, not even one's own template is edited.
    let sales_id: i64 = custodian::db::schema::users::table
        .filter(custodian::db::schema::users::email.eq("sales@example.com"))
        .select(custodian::db::schema::users::id)
        .first(&mut app.conn())
        .unwrap();
    let v = custodian::messaging::templates::ValidTemplate {
        name: "Sales own".into(),
        channel: custodian::messaging::Channel::Sms,
        subject: None,
        body: "Hi".into(),
    };
    let own_sales = custodian::messaging::templates::create(&mut app.conn(), sales_id, &v).unwrap().id;
    assert_eq!(s.get(&format!("/templates/{own_sales}/edit")).await.status(), 403);
    let r = s
        .submit(
            "/templates",
            &format!("/templates/{own_sales}/edit"),
            &[("name", "Changed"), ("channel", "sms"), ("body", "B"), ("version", "1")],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(row(&app, own_sales).unwrap().1, "Sales own");
    assert_eq!(s.get(&format!("/templates/{own_sales}/delete")).await.status(), 403);

    // A User whose templates.delete and templates.share are revoked: still creates and
    // edits their own, but neither deletes nor shares it.
    let (uid, u) = app.signed_in("user@example.com", Role::User).await;
    let own = create(&u, "User's").await;
    revoke(&app, uid, "templates.delete");
    revoke(&app, uid, "templates.share");
    assert!(!u.page(&format!("/templates/{own}")).await.contains("/delete\""));
    assert_eq!(u.get(&format!("/templates/{own}/delete")).await.status(), 403);
    let r = u.submit("/templates", &format!("/templates/{own}/delete"), &[]).await;
    assert_eq!(r.status(), 403);
    let r = u.submit("/templates", &format!("/templates/{own}/share"), &[("shared", "true")]).await;
    assert_eq!(r.status(), 403);
    assert!(row(&app, own).is_some_and(|t| !t.5));

    // Without templates.view: no list, no card, no menu entry.
    revoke(&app, uid, "templates.view");
    assert_eq!(u.get("/templates").await.status(), 403);
    assert_eq!(u.get(&format!("/templates/{id}")).await.status(), 403);
    assert!(!u.page("/").await.contains("href=\"/templates\""));

    assert_eq!(row(&app, id), before);
    assert_eq!(count(&app), 3);
}
