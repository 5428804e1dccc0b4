//! POST /users/new/details and /users/{id}/edit/details: step 1 of the wizard (multipart, for
//! the avatar). The wizard's state is created on the first submit, so even a form shown again
//! with errors keeps everything typed and a valid avatar.

use super::wizard::{authorize, load_or_fresh, Scope};
use super::wizard_pages::details_page;
use crate::accounts as model;
use crate::auth::{password, Viewer};
use crate::db::Db;
use crate::error::AppError;
use crate::users::avatar::{self, AvatarError};
use crate::users::{validate, wizard as state};
use crate::validation::FieldErrors;
use crate::web::respond::see_other;
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use anyhow::Context;
use futures_util::StreamExt;
use std::collections::HashMap;

/// Largest text field accepted; the avatar has its own limit.
const TEXT_LIMIT: usize = 4 * 1024;

/// The parts of the step 1 form.
struct Submitted {
    fields: HashMap<String, String>,
    /// `None`: no file chosen. `Some(Err)`: over the size limit.
    avatar: Option<Result<Vec<u8>, AvatarError>>,
}

async fn read_form(mut mp: Multipart) -> Result<Submitted, AppError> {
    let mut out = Submitted { fields: HashMap::new(), avatar: None };
    while let Some(field) = mp.next().await {
        let mut field = field.map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}")))?;
        let name = field.name().unwrap_or_default().to_string();
        let limit = if name == "avatar" { avatar::MAX_BYTES } else { TEXT_LIMIT };
        let bytes = match field.bytes(limit).await {
            Ok(b) => Some(b.map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}")))?),
            Err(_) => None,
        };
        if name == "avatar" {
            out.avatar = match bytes {
                None => Some(Err(AvatarError::TooLarge)),
                Some(b) if b.is_empty() => None,
                Some(b) => Some(Ok(b.to_vec())),
            };
        } else if let Some(b) = bytes {
            let text = String::from_utf8_lossy(&b).into_owned();
            // The same boundary as every other form (`web::input`).
            crate::web::input::check_text(&name, &text, false).map_err(|r| AppError::BadRequest(r.sentence()))?;
            out.fields.insert(name, text);
        }
    }
    Ok(out)
}

/// Step 1 submitted: validate, keep, go to step 2.
#[tracing::instrument(skip_all)]
pub async fn submit(
    viewer: Viewer,
    db: web::Data<Db>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, AppError> {
    let mut scope = Scope::of(&req)?;
    authorize(&viewer, &db, &scope).await?;
    let mut s = load_or_fresh(&viewer, &db, &scope).await?;
    // The body is read only once the request is known to be allowed.
    let form = read_form(Multipart::new(req.headers(), body)).await?;
    let get = |k: &str| form.fields.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    s.first_name = get("first_name");
    s.last_name = get("last_name");
    s.email = get("email");
    s.phone = get("phone");
    let (pw, confirm) = (
        form.fields.get("password").cloned().unwrap_or_default(),
        form.fields.get("password_confirm").cloned().unwrap_or_default(),
    );

    let mut errors = FieldErrors::default();
    // The edit form was shown from the stored user: refuse it if that user changed since.
    let shown_version = form.fields.get("version").and_then(|v| v.trim().parse::<i32>().ok());
    if scope.w.is_empty() && scope.target.is_some() && shown_version.is_some_and(|v| v != s.version) {
        errors.add(
            "form",
            "Someone else changed this user after you opened this form. Submit again to keep your entries, \
             or Cancel to start again from the current values.",
        );
    }
    validate::name("first_name", &s.first_name, &mut errors);
    validate::name("last_name", &s.last_name, &mut errors);
    validate::email(&s.email, &mut errors);
    s.phone_e164 = validate::phone(&s.phone, &mut errors);
    // Creating needs a password, unless one was already accepted earlier in this wizard.
    let required = scope.creating() && s.password_hash.is_none();
    validate::password(&pw, &confirm, &[&s.email, &s.first_name, &s.last_name], required, &mut errors);
    // Decoding an image is CPU-heavy: it runs on the blocking pool, never on the executor.
    let processed = match form.avatar {
        None => None,
        Some(upload) => {
            Some(web::block(move || upload.and_then(|b| avatar::process(&b))).await.context("avatar task")?)
        }
    };
    let png = match processed {
        None => None,
        Some(Ok(png)) => Some(png),
        Some(Err(e)) => {
            errors.add("avatar", e.to_string());
            None
        }
    };
    if !pw.is_empty() && errors.get("password").is_none() && errors.get("password_confirm").is_none() {
        s.password_hash = Some(password::hash_async(pw).await?);
    }

    let (owner, target, email) = (viewer.id(), scope.target, s.email.clone());
    let fresh = scope.w.is_empty();
    let w = if fresh { state::new_id() } else { scope.w.clone() };
    if png.is_some() {
        s.new_avatar = true;
    }
    let check_email = errors.get("email").is_none();
    let mut to_store = s.clone();
    let (w2, png2) = (w.clone(), png);
    let taken = db
        .transaction(move |c| {
            // Deleted accounts keep their row, so their email counts as taken too.
            let taken = check_email && model::find_by_email(c, &email)?.is_some_and(|u| Some(u.id) != target);
            to_store.details_done = false;
            if fresh {
                state::insert(c, &w2, owner, &to_store)?;
            }
            if let Some(png) = &png2 {
                state::set_avatar(c, &w2, png)?;
            }
            state::store(c, &w2, &to_store)?;
            Ok(taken)
        })
        .await?;
    if taken {
        errors.add("email", "This email is already used by another account (deleted accounts keep theirs).");
    }
    scope.w = w;
    if !errors.is_empty() {
        s.details_done = false;
        return details_page(&viewer, scope, s, errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    s.details_done = true;
    let (w, done) = (scope.w.clone(), s.clone());
    db.run(move |c| Ok(state::store(c, &w, &done)?)).await?;
    Ok(see_other(&scope.step_url(2)))
}
