//! The catcher: any error response that has no body yet (unknown route, wrong method, a
//! body over salvo's limit, a panic, an extractor failure) gets the JSON error shape. Client
//! errors keep salvo's short explanation; server errors stay opaque.

use salvo::http::ResBody;
use salvo::prelude::*;

use super::error::ErrorBody;

#[handler]
pub async fn json_errors(req: &Request, res: &mut Response, ctrl: &mut FlowCtrl) {
    let status = res.status_code.unwrap_or(StatusCode::NOT_FOUND);
    let message = match (&res.body, status) {
        (_, StatusCode::NOT_FOUND) => format!("No route matches {} {}.", req.method(), req.uri().path()),
        (_, StatusCode::METHOD_NOT_ALLOWED) => {
            format!("{} is not allowed on {}.", req.method(), req.uri().path())
        }
        (_, StatusCode::PAYLOAD_TOO_LARGE) => "The request body is too large.".to_owned(),
        (ResBody::Error(err), s) if s.is_client_error() => err.brief.clone(),
        (_, s) if s.is_server_error() => "The server failed to handle the request.".to_owned(),
        (_, s) => s.canonical_reason().unwrap_or("Request failed").to_owned() + ".",
    };
    let error = sentence_case(status.canonical_reason().unwrap_or("Error"));
    res.render(Json(ErrorBody { error, message }));
    ctrl.skip_rest();
}

/// "Method Not Allowed" -> "Method not allowed", matching the handlers' error titles.
fn sentence_case(reason: &str) -> String {
    let mut chars = reason.chars();
    chars.next().map(|first| first.to_string() + &chars.as_str().to_lowercase()).unwrap_or_default()
}
