//! What a GET asks of a list or a resource (RFC 7644 3.4.2 and 3.9): `filter`,
//! `startIndex` / `count` paging, `attributes` / `excludedAttributes`; and attribute names as
//! requests write them.

use super::{list, reply, ScimError, MAX_RESULTS};
use crate::scim::filter;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde_json::Value;

pub(super) use crate::scim::attribute;

/// `attributes` / `excludedAttributes` (top-level names, case-insensitive); `schemas` and
/// `id` are always returned.
fn project(mut v: Value, attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let names = |s: &str| -> Vec<String> {
        s.split(',')
            .map(|a| {
                let a = attribute(a);
                // An extension's attribute (`urn:…:Group:manager`) names the extension object.
                match a.rfind(':') {
                    Some(i) if a.starts_with("urn:") => a[..i].to_string(),
                    _ => a.split('.').next().unwrap_or("").to_string(),
                }
            })
            .filter(|a| !a.is_empty())
            .collect()
    };
    let keep = |k: &str| k == "schemas" || k == "id";
    if let Value::Object(map) = &mut v {
        if let Some(a) = attributes.filter(|a| !a.trim().is_empty()) {
            let wanted = names(a);
            map.retain(|k, _| keep(k) || wanted.contains(&k.to_ascii_lowercase()));
        } else if let Some(x) = excluded {
            let unwanted = names(x);
            map.retain(|k, _| keep(k) || !unwanted.contains(&k.to_ascii_lowercase()));
        }
    }
    v
}

#[derive(serde::Deserialize)]
pub struct ListQuery {
    filter: Option<String>,
    #[serde(rename = "startIndex")]
    start_index: Option<String>,
    count: Option<String>,
    attributes: Option<String>,
    #[serde(rename = "excludedAttributes")]
    excluded_attributes: Option<String>,
}

impl ListQuery {
    /// The parsed filter; a malformed one is an `invalidFilter` error, before any database work.
    pub fn parsed_filter(&self) -> Result<Option<filter::Expr>, ScimError> {
        self.filter.as_deref().map(filter::parse).transpose().map_err(|e| ScimError::bad("invalidFilter", e))
    }

    /// The list response: the resources `all` (in id order) matching `expr`, the page asked
    /// for, each with the attributes asked for.
    pub fn answer(&self, expr: Option<&filter::Expr>, all: Vec<Value>) -> HttpResponse {
        // RFC 7644 3.4.2.4: startIndex below 1 is 1; a count below 0 is 0.
        let number = |v: &Option<String>, default: i64| -> i64 {
            v.as_deref().and_then(|s| s.trim().parse().ok()).unwrap_or(default)
        };
        let start = number(&self.start_index, 1).max(1);
        let count = number(&self.count, MAX_RESULTS).clamp(0, MAX_RESULTS);
        let matching: Vec<Value> = all.into_iter().filter(|v| expr.is_none_or(|e| filter::matches(e, v))).collect();
        let total = matching.len();
        let page: Vec<Value> = matching
            .into_iter()
            .skip(usize::try_from(start - 1).unwrap_or(0))
            .take(usize::try_from(count).unwrap_or(0))
            .map(|v| project(v, self.attributes.as_deref(), self.excluded_attributes.as_deref()))
            .collect();
        reply(StatusCode::OK, &list(page, total, usize::try_from(start).unwrap_or(1)))
    }
}

#[derive(serde::Deserialize)]
pub struct OneQuery {
    attributes: Option<String>,
    #[serde(rename = "excludedAttributes")]
    excluded_attributes: Option<String>,
}

impl OneQuery {
    /// The resource with the attributes asked for.
    pub fn answer(&self, v: Value) -> HttpResponse {
        reply(StatusCode::OK, &project(v, self.attributes.as_deref(), self.excluded_attributes.as_deref()))
    }
}
