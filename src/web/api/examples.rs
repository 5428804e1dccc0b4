//! A working request for each endpoint a token opens, as the API tokens page shows it (and
//! as tests/app/console.rs sends it, so the examples stay true).

use crate::api_tokens::Scope;

pub struct Example {
    pub title: &'static str,
    pub scope: Scope,
    pub method: &'static str,
    /// The path and query, from the site's root.
    pub path: String,
    pub body: Option<String>,
}

impl Example {
    /// The request as a `curl` command line, for the site at `base`.
    pub fn curl(&self, base: &str) -> String {
        let media = if self.scope == Scope::Scim { "application/scim+json" } else { "application/json" };
        let mut out = format!("curl -X {} '{base}{}' \\\n  -H 'Authorization: Bearer cst_…'", self.method, self.path);
        if let Some(b) = &self.body {
            out.push_str(&format!(" -H 'Content-Type: {media}' \\\n  -d '{b}'"));
        }
        out
    }
}

/// The examples, about the signed-in user (`user_id`, `email`) and contact 1.
pub fn all(user_id: i64, email: &str) -> Vec<Example> {
    let subject = format!(r#""subject": {{"type": "user", "id": "{email}"}}"#);
    let contact = r#""resource": {"type": "contact", "id": "1"}"#;
    let action = r#""action": {"name": "contacts.edit"}"#;
    let ex = |title, scope, method, path: String, body: Option<String>| Example { title, scope, method, path, body };
    let a = Scope::Authorization;
    vec![
        ex(
            "AuthZEN: may this user edit this contact?",
            a,
            "POST",
            "/access/v1/evaluation".into(),
            Some(format!("{{{subject}, {action}, {contact}}}")),
        ),
        ex(
            "AuthZEN: several questions at once",
            a,
            "POST",
            "/access/v1/evaluations".into(),
            Some(format!(
                r#"{{{subject}, {contact}, "evaluations": [{{"action": {{"name": "contacts.view"}}}}, {{"action": {{"name": "contacts.delete"}}}}]}}"#
            )),
        ),
        ex(
            "AuthZEN: which contacts may this user edit?",
            a,
            "POST",
            "/access/v1/search/resource".into(),
            Some(format!(r#"{{{subject}, {action}, "resource": {{"type": "contact"}}, "page": {{"limit": 10}}}}"#)),
        ),
        ex(
            "AuthZEN: who may edit this contact?",
            a,
            "POST",
            "/access/v1/search/subject".into(),
            Some(format!(r#"{{"subject": {{"type": "user"}}, {action}, {contact}}}"#)),
        ),
        ex(
            "AuthZEN: what may this user do with this contact?",
            a,
            "POST",
            "/access/v1/search/action".into(),
            Some(format!("{{{subject}, {contact}}}")),
        ),
        ex(
            "Check a permission",
            a,
            "POST",
            "/api/v1/check".into(),
            Some(format!(r#"{{"user_id": {user_id}, "permission": "contacts.edit", "contact_id": 1}}"#)),
        ),
        ex("A user's effective permissions", a, "GET", format!("/api/v1/users/{user_id}/permissions"), None),
        ex(
            "SCIM: find a user by sign-in email",
            Scope::Scim,
            "GET",
            format!("/scim/v2/Users?filter=userName%20eq%20%22{}%22", email.replace('@', "%40")),
            None,
        ),
        ex(
            "SCIM: list teams without their members",
            Scope::Scim,
            "GET",
            "/scim/v2/Groups?excludedAttributes=members".into(),
            None,
        ),
    ]
}
