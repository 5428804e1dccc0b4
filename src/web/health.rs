//! GET /healthz: 200 when the database answers, 503 when it does not.

use crate::db::Db;
use actix_web::{web, HttpResponse};
use diesel::RunQueryDsl;

pub async fn healthz(db: web::Data<Db>) -> HttpResponse {
    let ok = db.run(|c| Ok(diesel::sql_query("SELECT 1").execute(c)?)).await.is_ok();
    if ok {
        HttpResponse::Ok().content_type("text/plain").body("ok")
    } else {
        HttpResponse::ServiceUnavailable().content_type("text/plain").body("database unavailable")
    }
}
