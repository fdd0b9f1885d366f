//! Success responses beyond salvo's `Json` (200): 201 Created and 204 No Content, each
//! documenting its own status in the OpenAPI description.

use salvo::http::StatusCode;
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
