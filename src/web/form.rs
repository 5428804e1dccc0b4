//! `Form<T>`: a URL-encoded form body as a typed struct, where a field sent several times (a
//! checklist's `perm`, a picker's `group`) fills a `Vec` (serde_html_form; actix's own `Form`
//! keeps only pairs for those). The body is read within [`super::input::FORM_LIMIT`] (the
//! `PayloadConfig` startup sets); a body that does not fit the struct is a 400.

use crate::error::AppError;
use actix_web::dev::Payload;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

/// A typed form body.
pub struct Form<T>(pub T);

impl<T> Form<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Form<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body.await?;
            serde_html_form::from_bytes::<T>(&body)
                .map(Form)
                .map_err(|e| AppError::BadRequest(format!("the form could not be read: {e}")).into())
        })
    }
}
