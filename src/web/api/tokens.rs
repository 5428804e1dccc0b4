//! GET/POST /api-tokens and POST /api-tokens/{id}/revoke (administration.settings): tokens of
//! the authorization API and of user provisioning (SCIM), each made for one or both. A new token
//! is shown once, in the response to its creation.

use crate::api_tokens::{self, Scope, TokenRow};
use crate::auth::{session::FlashKind, Viewer};
use crate::db::Db;
use crate::error::AppError;
use crate::validation::FieldErrors;
use crate::web::form::Form;
use crate::web::layout::Layout;
use crate::web::respond::{render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "api_tokens/list.html")]
pub struct TokensPage {
    pub layout: Layout,
    pub tokens: Vec<TokenRow>,
    /// The typed name of a refused new token.
    pub token_name: String,
    pub errors: FieldErrors,
    /// The token just created: shown on this response only, never stored.
    pub fresh: Option<String>,
    /// The scopes ticked on the form (what a refused form keeps).
    pub scopes: Vec<Scope>,
    /// This site's address, for the examples.
    pub base: String,
    pub examples: Vec<super::examples::Example>,
}

impl TokensPage {
    pub fn all_scopes(&self) -> [Scope; 2] {
        Scope::ALL
    }
}

async fn tokens_page(
    req: &HttpRequest,
    viewer: &Viewer,
    db: &Db,
    name: String,
    scopes: Vec<Scope>,
    errors: FieldErrors,
    fresh: Option<String>,
) -> Result<HttpResponse, AppError> {
    let tokens = db.run(|c| Ok(api_tokens::list(c)?)).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = TokensPage {
        layout: viewer.layout("/api-tokens"),
        tokens,
        token_name: name,
        errors,
        fresh,
        scopes,
        base: crate::auth::viewer::origin(req),
        examples: super::examples::all(viewer.id(), &viewer.user.email),
    };
    let mut res = render(page, status)?;
    // The page may carry a secret: keep it out of every cache.
    res.headers_mut()
        .insert(actix_web::http::header::CACHE_CONTROL, actix_web::http::header::HeaderValue::from_static("no-store"));
    Ok(res)
}

/// The list of tokens and the form for a new one.
pub async fn show(req: HttpRequest, viewer: Viewer, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    crate::access::authority::security(&viewer.subject)?;
    tokens_page(&req, &viewer, &db, String::new(), vec![Scope::Authorization], FieldErrors::default(), None).await
}

/// The new-token form: a name and the ticked scopes.
#[derive(serde::Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: Vec<String>,
}

/// Creates a token for the ticked scopes (`scope` fields) and shows it once.
#[tracing::instrument(skip_all)]
pub async fn create(
    req: HttpRequest,
    viewer: Viewer,
    db: web::Data<Db>,
    form: Form<TokenForm>,
) -> Result<HttpResponse, AppError> {
    crate::access::authority::security(&viewer.subject)?;
    let form = form.into_inner();
    let name = form.name.trim().to_string();
    let scopes: Vec<Scope> = Scope::ALL.into_iter().filter(|s| form.scope.iter().any(|v| v == s.as_str())).collect();
    let mut errors = FieldErrors::default();
    if name.is_empty() {
        errors.add("name", "Name the token after the system that will use it.");
    } else if name.chars().count() > 100 {
        errors.add("name", "Use at most 100 characters.");
    }
    if scopes.is_empty() {
        errors.add("scope", "Choose what the token is for.");
    }
    if !errors.is_empty() {
        return tokens_page(&req, &viewer, &db, name, scopes, errors, None).await;
    }
    let (n, actor, who, chosen) = (name.clone(), viewer.actor(), viewer.subject.clone(), scopes.clone());
    let token = db.transaction(move |c| Ok(api_tokens::issue(c, &actor, &who, &n, &chosen)?.1)).await?;
    tokens_page(&req, &viewer, &db, String::new(), vec![Scope::Authorization], errors, Some(token)).await
}

/// Revokes a token: calls with it get 401 from now on.
#[tracing::instrument(skip_all)]
pub async fn revoke(viewer: Viewer, db: web::Data<Db>, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    crate::access::authority::security(&viewer.subject)?;
    let id = id.into_inner();
    let (actor, who) = (viewer.actor(), viewer.subject.clone());
    let name = db.transaction(move |c| Ok(api_tokens::withdraw(c, &actor, &who, id)?)).await?;
    viewer.flash(FlashKind::Success, format!("Token “{name}” revoked."));
    Ok(see_other("/api-tokens"))
}
