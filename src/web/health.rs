//! GET /healthz: 200 when the database answers, 503 when it does not.

use crate::db::Db;
use actix_web::{web, HttpResponse};

pub async fn healthz(db: web::Data<Db>) -> HttpResponse {
    let ok = db.run(|c| Ok(crate::db::ping(c)?)).await.is_ok();
    if ok {
        HttpResponse::Ok().content_type("text/plain").body("ok")
    } else {
        HttpResponse::ServiceUnavailable().content_type("text/plain").body("database unavailable")
    }
}
