//! GET /static/{path}: the stylesheet, the scripts and the icon, embedded in the binary when it
//! is built, so a deployed binary needs no folder beside it. Each answer carries an ETag of its
//! content, so a browser revalidates with a 304 (assets change only with a new binary).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use include_dir::{include_dir, Dir};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::OnceLock;

static STATIC: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/static");

/// Every asset's ETag, by path, computed once.
fn etags() -> &'static HashMap<String, String> {
    static TAGS: OnceLock<HashMap<String, String>> = OnceLock::new();
    TAGS.get_or_init(|| {
        let mut tags = HashMap::new();
        let mut dirs = vec![&STATIC];
        while let Some(dir) = dirs.pop() {
            dirs.extend(dir.dirs());
            for f in dir.files() {
                let hash = hex::encode(Sha256::digest(f.contents()));
                tags.insert(f.path().to_string_lossy().into_owned(), format!("\"{}\"", &hash[..20]));
            }
        }
        tags
    })
}

pub async fn serve(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let path = path.into_inner();
    let (Some(file), Some(etag)) = (STATIC.get_file(&path), etags().get(&path)) else {
        return HttpResponse::NotFound().finish();
    };
    let seen = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    if seen.is_some_and(|s| s.split(',').any(|t| t.trim() == etag)) {
        return HttpResponse::NotModified().insert_header((header::ETAG, etag.as_str())).finish();
    }
    let mime = mime_guess::from_path(&path).first_or_octet_stream();
    HttpResponse::Ok()
        .content_type(mime.essence_str())
        .insert_header((header::ETAG, etag.as_str()))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(file.contents())
}
