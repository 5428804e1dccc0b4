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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Mapping {
        #[serde(default)]
        group: Vec<String>,
        #[serde(default)]
        owner: String,
        #[serde(flatten)]
        rest: BTreeMap<String, String>,
    }

    #[test]
    fn repeated_fields_fill_vecs_and_the_rest_is_kept_by_name() {
        let m: Mapping = serde_html_form::from_str("group=1&map_0=email&group=2&owner=a%40b.c&map_1=ignore").unwrap();
        assert_eq!(m.group, ["1", "2"]);
        assert_eq!(m.owner, "a@b.c");
        assert_eq!(m.rest.get("map_0").map(String::as_str), Some("email"));
        assert_eq!(m.rest.get("map_1").map(String::as_str), Some("ignore"));
    }
}
