//! Response helpers: render a page with a status, redirect after a POST.

use crate::error::AppError;
use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use anyhow::Context;
use askama::Template;

/// 303 See Other: where every successful form submission goes next.
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

/// Renders a template with a status (200 for pages, 422 for a form shown again with errors).
pub fn render<T: Template>(page: T, status: StatusCode) -> Result<HttpResponse, AppError> {
    let body = page.render().context("template")?;
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
}

/// Renders a page with 200.
pub fn page<T: Template>(page: T) -> Result<HttpResponse, AppError> {
    render(page, StatusCode::OK)
}
