//! GET /console: a page where an operator signs in with an app's API key and watches the
//! app's calls live (rows moving from ringing to connected to hangup). Three static files
//! embedded in the binary: the page, its script, and the project's stream client
//! (`clients/js/cti-stream.js`, the same file apps use). The key stays in the tab
//! (sessionStorage); the page talks to the server only through the app API and /ws, as any
//! front end would. Served when CONSOLE_ENABLED (default: on except in production).

use salvo::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderValue};
use salvo::prelude::*;

const PAGE: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("console.js");
const CLIENT: &str = include_str!("../../../../clients/js/cti-stream.js");

/// Only this origin's scripts, requests and WebSockets; nothing inline but the page's styles.
const POLICY: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; \
                      frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The console's routes, outside the API (not in the OpenAPI document).
pub fn router() -> Router {
    Router::with_path("console")
        .get(page)
        .push(Router::with_path("console.js").get(script))
        .push(Router::with_path("cti-stream.js").get(client))
}

fn serve(res: &mut Response, content_type: &'static str, body: &'static str) {
    let headers = res.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    res.body(body);
}

#[handler]
async fn page(res: &mut Response) {
    serve(res, "text/html; charset=utf-8", PAGE);
}

#[handler]
async fn script(res: &mut Response) {
    serve(res, "text/javascript; charset=utf-8", SCRIPT);
}

#[handler]
async fn client(res: &mut Response) {
    serve(res, "text/javascript; charset=utf-8", CLIENT);
}
