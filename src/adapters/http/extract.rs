//! Request parsing shared by handlers: JSON bodies with a size limit and a media-type check,
//! typed path and query parameters. Every failure becomes a precise 4xx [`ApiError`].

use std::str::FromStr;

use salvo::http::ParseError;
use salvo::http::header::CONTENT_LENGTH;
use salvo::prelude::*;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::domain::app::AppId;

/// Largest JSON body the admin and app APIs accept. Webhooks have their own limit.
pub const MAX_JSON_BODY: usize = 64 * 1024;

/// The body, at most `max` bytes: 413 when larger. A Content-Length over `max` is refused
/// before the body is read, so no `100 Continue` invites a client to send it.
pub async fn body_bytes<'r>(req: &'r mut Request, max: usize, too_large: &str) -> Result<&'r [u8], ApiError> {
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max as u64) {
        return Err(ApiError::PayloadTooLarge(too_large.to_owned()));
    }
    match req.payload_with_max_size(max).await {
        Ok(bytes) => Ok(bytes),
        Err(ParseError::PayloadTooLarge) => Err(ApiError::PayloadTooLarge(too_large.to_owned())),
        Err(_) => Err(ApiError::bad_request("The request body could not be read.")),
    }
}

/// Parses the body as JSON into `T`. An absent Content-Type is tolerated; any other type
/// than JSON is 415. Unknown fields are refused where `T` says `deny_unknown_fields`.
pub async fn json_body<T: DeserializeOwned>(req: &mut Request) -> Result<T, ApiError> {
    if let Some(content_type) = req.content_type()
        && !(content_type.subtype() == salvo::http::mime::JSON
            || content_type.suffix() == Some(salvo::http::mime::JSON))
    {
        return Err(ApiError::UnsupportedMediaType(format!(
            "Send the body as application/json, not {}.",
            content_type.essence_str()
        )));
    }
    let bytes = body_bytes(req, MAX_JSON_BODY, &format!("The body must be at most {MAX_JSON_BODY} bytes.")).await?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request("A JSON body is required."));
    }
    // Derived deserializers also take an array for a struct (fields by position).
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        return Err(ApiError::bad_request("The body must be a JSON object."));
    }
    serde_json::from_slice(bytes).map_err(|err| ApiError::bad_request(format!("Invalid JSON body: {err}.")))
}

/// Like [`json_body`], but an empty body (or a JSON `null`) means `T::default()`.
pub async fn optional_json_body<T: DeserializeOwned + Default>(req: &mut Request) -> Result<T, ApiError> {
    let absent = req
        .payload_with_max_size(MAX_JSON_BODY)
        .await
        .map(|b| b.is_empty() || b.trim_ascii() == b"null")
        .unwrap_or(false);
    if absent { Ok(T::default()) } else { json_body(req).await }
}

/// The `app_id` path parameter; malformed is 400.
pub fn app_id(req: &Request) -> Result<AppId, ApiError> {
    path_param(req, "app_id")
}

/// A typed path parameter; missing or unparsable is 400 naming the parameter.
pub fn path_param<T: FromStr>(req: &Request, name: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    let raw: String = req.param(name).unwrap_or_default();
    raw.parse().map_err(|err| ApiError::bad_request(format!("Path parameter {name}: {err}.")))
}

/// An optional query parameter parsed with `parse`; present but invalid (an empty value
/// included: `limit=` is not a page size), or given more than once (`limit=50&limit=500`:
/// which one was meant?), is 400.
pub fn query<T, E: std::fmt::Display>(
    req: &Request,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<Option<T>, ApiError> {
    if req.queries().get_vec(name).is_some_and(|values| values.len() > 1) {
        return Err(ApiError::bad_request(format!("Query parameter {name}: given more than once.")));
    }
    match req.queries().get(name).map(String::as_str) {
        None => Ok(None),
        Some(raw) => {
            parse(raw).map(Some).map_err(|err| ApiError::bad_request(format!("Query parameter {name}: {err}.")))
        }
    }
}

/// An optional integer query parameter.
pub fn query_i64(req: &Request, name: &str) -> Result<Option<i64>, ApiError> {
    query(req, name, |raw| raw.parse::<i64>().map_err(|_| "must be a whole number"))
}

/// An optional time query parameter: RFC 3339 (`2025-01-31T12:00:00Z`) or milliseconds since
/// the epoch, from 1970 to the end of year 9999.
pub fn query_time(req: &Request, name: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    const OUT_OF_RANGE: &str = "must be a time from 1970-01-01T00:00:00Z to the end of year 9999";
    query(req, name, |raw| {
        if let Ok(ms) = raw.parse::<i64>() {
            return crate::domain::time::from_millis(ms).ok_or(OUT_OF_RANGE);
        }
        let time = chrono::DateTime::parse_from_rfc3339(raw)
            .map(|t| t.to_utc())
            .map_err(|_| "must be an RFC 3339 time or milliseconds since the epoch")?;
        if crate::domain::time::in_range(time) { Ok(time) } else { Err(OUT_OF_RANGE) }
    })
}

/// The longest a replaced credential (a rotated key, a rotated webhook secret) may stay
/// valid: 30 days.
pub const MAX_OVERLAP_SECONDS: i64 = 30 * 24 * 3600;

/// How long a replaced credential stays valid, from the body field `field` (in seconds).
pub fn overlap(field: &str, seconds: i64) -> Result<chrono::Duration, ApiError> {
    match seconds {
        s @ 0..=MAX_OVERLAP_SECONDS => Ok(chrono::Duration::seconds(s)),
        _ => Err(ApiError::bad_request(format!("{field} must be between 0 and {MAX_OVERLAP_SECONDS}."))),
    }
}

/// The `limit` query parameter as a page size.
pub fn page_limit(req: &Request) -> Result<crate::domain::pagination::PageLimit, ApiError> {
    crate::domain::pagination::PageLimit::new(query_i64(req, "limit")?)
        .map_err(|e| ApiError::bad_request(format!("Query parameter limit: {e}.")))
}

/// The raw `cursor` query parameter, if any (`cursor=` is the first page).
pub fn cursor_param(req: &Request) -> Result<Option<String>, ApiError> {
    query_text(req, "cursor")
}

/// An optional text query parameter, as given; an empty value is absent.
pub fn query_text(req: &Request, name: &str) -> Result<Option<String>, ApiError> {
    Ok(query(req, name, |raw| Ok::<_, std::convert::Infallible>(raw.to_owned()))?.filter(|v| !v.is_empty()))
}

/// For PATCH bodies: distinguishes an absent field (`None`) from an explicit null
/// (`Some(None)`, which clears it). Use with `#[serde(default, deserialize_with = ...)]`.
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}
