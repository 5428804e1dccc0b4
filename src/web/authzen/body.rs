//! The body of an AuthZEN request: `application/json` (any charset parameter, any case), one
//! JSON object, and no member named twice in any object. A duplicate is refused rather than
//! resolved because readers disagree on which one wins: a gateway that reads the first
//! `subject` and a PDP that reads the last would be deciding for different people.

use crate::web::api::error::ApiError;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{mime, HttpRequest};
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Reads the request's body as `B`, or says in a 400 why it cannot.
pub fn read<B: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<B, ApiError> {
    json_media_type(req)?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest("the request body is empty: send a JSON object".into()));
    }
    let Unique(value) =
        serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::BadRequest("the request body must be a JSON object".into()));
    }
    serde_json::from_value(value).map_err(|e| ApiError::BadRequest(format!("malformed request: {e}")))
}

/// The specification's only media type is `application/json`: a form, `text/plain` or XML
/// body is refused, whatever it holds.
fn json_media_type(req: &HttpRequest) -> Result<(), ApiError> {
    let refused = || ApiError::BadRequest("Content-Type must be application/json".into());
    let value = req.headers().get(CONTENT_TYPE).ok_or_else(refused)?;
    let media: mime::Mime = value.to_str().ok().and_then(|v| v.parse().ok()).ok_or_else(refused)?;
    if media.type_() == mime::APPLICATION && media.subtype() == mime::JSON && media.suffix().is_none() {
        Ok(())
    } else {
        Err(refused())
    }
}

/// A JSON value whose objects name each member once.
struct Unique(Value);

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Unique, D::Error> {
        d.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Unique;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Unique, E> {
        Ok(Unique(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Unique, E> {
        Ok(Unique(Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Unique, E> {
        Ok(Unique(Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Unique, E> {
        Ok(Unique(Value::from(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Unique, E> {
        Ok(Unique(Value::String(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Unique, E> {
        Ok(Unique(Value::String(v)))
    }

    fn visit_unit<E>(self) -> Result<Unique, E> {
        Ok(Unique(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        let mut items = Vec::new();
        while let Some(Unique(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Unique(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let mut members = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            if members.contains_key(&name) {
                return Err(de::Error::custom(format!("the member {name:?} appears twice in one object")));
            }
            let Unique(v) = map.next_value()?;
            members.insert(name, v);
        }
        Ok(Unique(Value::Object(members)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Value, String> {
        serde_json::from_str::<Unique>(s).map(|u| u.0).map_err(|e| e.to_string())
    }

    #[test]
    fn values_read_as_serde_json_reads_them_and_duplicates_are_refused_at_any_depth() {
        let text = r#"{"a": [1, -2, 3.5, "x", null, true], "b": {"c": {}}, "d": 18446744073709551615}"#;
        assert_eq!(parse(text).unwrap(), serde_json::from_str::<Value>(text).unwrap());
        assert!(parse(r#"{"subject": 1, "subject": 2}"#).unwrap_err().contains("\"subject\" appears twice"));
        assert!(parse(r#"{"s": {"id": "1", "id": "2"}}"#).is_err());
        assert!(parse(r#"[{"id": 1}, {"id": 2}]"#).is_ok(), "the same name in two objects is fine");
    }
}
