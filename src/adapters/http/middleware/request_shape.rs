//! Requests too big to be reasonable, refused with the JSON error every other refusal has:
//! a URI over 8 KiB is 414, more than 100 headers is 431. hyper's own limits (a URI of 64 KiB,
//! 256 headers, an unparsable request line) sit above these and answer without a body; every
//! request that reaches salvo gets JSON.

use salvo::prelude::*;

use crate::adapters::http::error::ApiError;

/// The longest URI (path and query) accepted.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// The most header fields accepted.
pub const MAX_HEADERS: usize = 100;
/// hyper's limit on header fields, above ours so that ours answers.
pub const HYPER_MAX_HEADERS: usize = 256;

#[handler]
pub async fn request_shape(req: &mut Request, res: &mut Response, ctrl: &mut FlowCtrl) {
    let uri_bytes = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    let refusal = if uri_bytes > MAX_URI_BYTES {
        Some(ApiError::UriTooLong(format!("The URI must be at most {MAX_URI_BYTES} bytes.")))
    } else if req.headers().len() > MAX_HEADERS {
        Some(ApiError::HeadersTooLarge(format!("A request may carry at most {MAX_HEADERS} header fields.")))
    } else {
        None
    };
    if let Some(err) = refusal {
        res.render(err);
        ctrl.skip_rest();
    }
}
