//! GET /auth/dialpad/callback: where Dialpad sends the browser back, on any instance. The
//! session cookie is cleared whatever happens (a session is used once). The answer is a
//! small page for a browser, or JSON when asked for (`Accept: application/json`). Failures
//! other than Dialpad's own (a denial, 502, 503) count against the client's allowance.

use salvo::http::cookie::Cookie;
use salvo::oapi::{self, Components, EndpointOutRegister, Operation, ToSchema};
use salvo::prelude::*;
use serde::{Deserialize, Serialize};

use super::{COOKIE_PATH, SESSION_COOKIE};
use crate::adapters::http::error::ApiError;
use crate::adapters::http::extract;
use crate::adapters::http::middleware::limits;
use crate::adapters::http::state::AppState;
use crate::app::dialpad::{CallbackParams, Connected};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConnectedResponse {
    /// Always "connected".
    pub status: String,
    pub app_id: String,
    pub dialpad_company_id: String,
    pub dialpad_user_id: String,
    pub email: Option<String>,
    /// Whether an earlier connection was replaced (its tokens were revoked at Dialpad).
    pub replaced_previous: bool,
}

/// The success answer: JSON or a page.
pub enum ConnectedAnswer {
    Json(ConnectedResponse),
    Page(String),
}

impl Scribe for ConnectedAnswer {
    fn render(self, res: &mut Response) {
        res.headers_mut().insert(salvo::http::header::CACHE_CONTROL, salvo::http::HeaderValue::from_static("no-store"));
        match self {
            Self::Json(body) => res.render(Json(body)),
            Self::Page(html) => res.render(Text::Html(html)),
        }
    }
}

impl EndpointOutRegister for ConnectedAnswer {
    fn register(components: &mut Components, operation: &mut Operation) {
        let schema = ConnectedResponse::to_schema(components);
        operation.responses.insert(
            "200",
            oapi::Response::new("Connected: a page, or JSON with Accept: application/json")
                .add_content("application/json", oapi::Content::new(schema))
                .add_content("text/html", oapi::Content::new(oapi::Object::with_type(oapi::BasicType::String))),
        );
    }
}

/// Dialpad's redirect back after the user authorized (or denied) the connection.
#[endpoint(
    tags("dialpad"),
    parameters(
        ("code" = Option<String>, Query, description = "The authorization code"),
        ("state" = Option<String>, Query, description = "The state sent to Dialpad"),
        ("error" = Option<String>, Query, description = "Set by Dialpad when the authorization was denied"),
    ),
    status_codes(200, 400, 403, 404, 429, 502, 503)
)]
pub async fn dialpad_callback(
    req: &mut Request,
    depot: &mut Depot,
    res: &mut Response,
) -> Result<ConnectedAnswer, ApiError> {
    let state = AppState::from_depot(depot).clone();
    let client = limits::admit_oauth_client(&state, req)?;
    let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
    res.add_cookie(
        Cookie::build((SESSION_COOKIE, ""))
            .path(COOKIE_PATH)
            .max_age(salvo::http::cookie::time::Duration::ZERO)
            .build(),
    );
    let params = CallbackParams {
        code: extract::query_text(req, "code")?,
        state: extract::query_text(req, "state")?,
        error: extract::query_text(req, "error")?,
    };
    let wants_json = req.accept().iter().any(|mime| mime.subtype() == salvo::http::mime::JSON);
    match state.dialpad.finish(cookie.as_deref(), params, client).await {
        Ok(connected) if wants_json => Ok(ConnectedAnswer::Json(response(connected))),
        Ok(connected) => Ok(ConnectedAnswer::Page(page(&response(connected)))),
        Err(err) if err.is_callers_mistake() => Err(limits::oauth_failure(&state, client, err.into()).await),
        Err(err) => Err(err.into()),
    }
}

fn response(connected: Connected) -> ConnectedResponse {
    ConnectedResponse {
        status: "connected".to_owned(),
        app_id: connected.app_id.to_string(),
        dialpad_company_id: connected.identity.company_id,
        dialpad_user_id: connected.identity.user_id,
        email: connected.identity.email,
        replaced_previous: connected.replaced,
    }
}

fn page(connected: &ConnectedResponse) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Dialpad connected</title></head>\
         <body><h1>Dialpad connected</h1><p>App <code>{}</code> is now connected to Dialpad company \
         <code>{}</code>{}.</p><p>You can close this window.</p></body></html>",
        escape(&connected.app_id),
        escape(&connected.dialpad_company_id),
        connected.email.as_deref().map(|e| format!(" as {}", escape(e))).unwrap_or_default(),
    )
}

/// Text safe inside HTML.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}
