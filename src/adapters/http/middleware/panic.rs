//! A panic in a handler becomes an opaque 500 (the catcher writes the JSON body); the panic
//! message goes to the log inside the request's span, never to the client.

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use salvo::prelude::*;

#[handler]
pub async fn catch_panic(req: &mut Request, depot: &mut Depot, res: &mut Response, ctrl: &mut FlowCtrl) {
    if let Err(panic) = AssertUnwindSafe(ctrl.call_next(req, depot, res)).catch_unwind().await {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_owned());
        tracing::error!(panic = %message, "handler panicked");
        // Whatever the handler had written is discarded.
        *res = Response::new();
        res.status_code(StatusCode::INTERNAL_SERVER_ERROR);
        ctrl.skip_rest();
    }
}

#[cfg(test)]
mod tests {
    use salvo::catcher::Catcher;
    use salvo::test::{ResponseExt, TestClient};

    use super::*;
    use crate::adapters::http::catcher::json_errors;

    #[handler]
    async fn explode(res: &mut Response) {
        res.render("partial output");
        panic!("database password is hunter2");
    }

    #[tokio::test]
    async fn a_panic_becomes_an_opaque_json_500() {
        let service =
            Service::new(Router::new().get(explode)).catcher(Catcher::default().hoop(json_errors)).hoop(catch_panic);
        let mut res = TestClient::get("http://localhost/").send(&service).await;
        assert_eq!(res.status_code, Some(StatusCode::INTERNAL_SERVER_ERROR));
        let body: serde_json::Value = res.take_json().await.unwrap();
        assert_eq!(body["error"], "Internal server error");
        assert!(!body.to_string().contains("hunter2") && !body.to_string().contains("partial"), "{body}");
    }
}
