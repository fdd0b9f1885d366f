//! Success responses beyond salvo's `Json` (200): 201 Created, 201 for secrets shown once,
//! 202 Accepted (handed on to Dialpad) and 204 No Content, each documenting its own status
//! in the OpenAPI description.

use salvo::http::StatusCode;
use salvo::http::header::{CACHE_CONTROL, HeaderValue};
use salvo::oapi::{self, Components, EndpointOutRegister, Operation, ToSchema};
use salvo::prelude::*;
use serde::Serialize;

/// 201 with a JSON body.
pub struct Created<T>(pub T);

impl<T: Serialize + Send> Scribe for Created<T> {
    fn render(self, res: &mut Response) {
        res.status_code(StatusCode::CREATED);
        res.render(Json(self.0));
    }
}

impl<T: ToSchema> EndpointOutRegister for Created<T> {
    fn register(components: &mut Components, operation: &mut Operation) {
        let schema = T::to_schema(components);
        operation
            .responses
            .insert("201", oapi::Response::new("Created").add_content("application/json", oapi::Content::new(schema)));
    }
}

/// The `warning` of every response that shows a secret once.
pub const SHOWN_ONCE_WARNING: &str = "Store this immediately - it will never be shown again";

/// 201 with a JSON body holding a secret shown this once (an API key, a webhook secret, a
/// ticket): `Cache-Control: no-store`, so no proxy or browser cache keeps it.
pub struct ShownOnce<T>(pub T);

impl<T: Serialize + Send> Scribe for ShownOnce<T> {
    fn render(self, res: &mut Response) {
        res.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Created(self.0).render(res);
    }
}

impl<T: ToSchema> EndpointOutRegister for ShownOnce<T> {
    fn register(components: &mut Components, operation: &mut Operation) {
        Created::<T>::register(components, operation);
    }
}

/// 204 with no body.
pub struct NoContent;

impl Scribe for NoContent {
    fn render(self, res: &mut Response) {
        res.status_code(StatusCode::NO_CONTENT);
    }
}

impl EndpointOutRegister for NoContent {
    fn register(_components: &mut Components, operation: &mut Operation) {
        operation.responses.insert("204", oapi::Response::new("Done; no content"));
    }
}

/// 302 to another URL (a browser step of a flow), never cached.
pub struct Found(pub String);

impl Scribe for Found {
    fn render(self, res: &mut Response) {
        res.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        match HeaderValue::from_str(&self.0) {
            Ok(location) => {
                res.status_code(StatusCode::FOUND);
                res.headers_mut().insert(salvo::http::header::LOCATION, location);
            }
            Err(_) => {
                tracing::error!("a redirect target is not a valid header value");
                res.status_code(StatusCode::INTERNAL_SERVER_ERROR);
            }
        }
    }
}

impl EndpointOutRegister for Found {
    fn register(_components: &mut Components, operation: &mut Operation) {
        operation.responses.insert("302", oapi::Response::new("Redirect to the Location header's URL"));
    }
}

/// 202 with a JSON body: the request was handed on (to Dialpad) and is under way there.
pub struct Accepted<T>(pub T);

impl<T: Serialize + Send> Scribe for Accepted<T> {
    fn render(self, res: &mut Response) {
        res.status_code(StatusCode::ACCEPTED);
        res.render(Json(self.0));
    }
}

impl<T: ToSchema> EndpointOutRegister for Accepted<T> {
    fn register(components: &mut Components, operation: &mut Operation) {
        let schema = T::to_schema(components);
        operation.responses.insert(
            "202",
            oapi::Response::new("Accepted by Dialpad").add_content("application/json", oapi::Content::new(schema)),
        );
    }
}
