//! GET /contacts/import (the upload form and recent imports) and POST /contacts/import (the
//! multipart upload, written chunk by chunk to a temporary file, never held in memory).

use crate::auth::Viewer;
use crate::db::Db;
use crate::error::AppError;
use crate::imports::job;
use crate::web::layout::Layout;
use crate::web::respond::{render, see_other};
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use anyhow::Context;
use askama::Template;
use futures_util::TryStreamExt;
use std::io::Write;

/// Largest accepted upload.
const MAX_BYTES: u64 = 512 << 20;

#[derive(Template)]
#[template(path = "imports/upload.html")]
pub struct UploadPage {
    pub layout: Layout,
    pub error: Option<String>,
    pub jobs: Vec<job::Job>,
}

async fn show_with(viewer: &Viewer, db: &Db, error: Option<String>) -> Result<HttpResponse, AppError> {
    let uid = viewer.id();
    let jobs = db.run(move |c| Ok(job::recent(c, uid)?)).await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(UploadPage { layout: viewer.layout("/contacts"), error, jobs }, status)
}

pub async fn show(viewer: Viewer, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    super::require(&viewer)?;
    show_with(&viewer, &db, None).await
}

#[tracing::instrument(skip_all)]
pub async fn upload(viewer: Viewer, db: web::Data<Db>, mut mp: Multipart) -> Result<HttpResponse, AppError> {
    super::require(&viewer)?;
    // The upload lands in a local temporary file (removed when dropped), then is copied into
    // the database with the job, so any instance can run the import.
    let mut tmp =
        tempfile::Builder::new().prefix("custodian-import-").suffix(".csv").tempfile().context("temp file")?;
    let (mut size, mut name) = (0u64, None::<String>);
    while let Some(mut field) = mp.try_next().await.map_err(|e| AppError::BadRequest(format!("upload: {e}")))? {
        if field.name() != Some("file") {
            continue;
        }
        name = Some(field.content_disposition().and_then(|cd| cd.get_filename()).unwrap_or("upload.csv").to_string());
        while let Some(chunk) = field.try_next().await.map_err(|e| AppError::BadRequest(format!("upload: {e}")))? {
            size += chunk.len() as u64;
            if size > MAX_BYTES {
                return show_with(&viewer, &db, Some("The file is larger than 512 MB.".into())).await;
            }
            // Local disk writes of one chunk: off the executor all the same.
            tmp = web::block(move || tmp.as_file_mut().write_all(&chunk).map(|_| tmp))
                .await
                .context("upload")?
                .context("upload write")?;
        }
    }
    let Some(name) = name.filter(|_| size > 0) else {
        return show_with(&viewer, &db, Some("Choose a CSV file to upload.".into())).await;
    };
    let uid = viewer.id();
    let created = db.transaction(move |c| job::create(c, uid, tmp.path(), &name)).await?;
    match created {
        Ok(id) => Ok(see_other(&format!("/contacts/import/{id}"))),
        Err(msg) => show_with(&viewer, &db, Some(msg)).await,
    }
}
