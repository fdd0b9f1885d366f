//! Bearer INTERNAL_API_SECRET on every /internal route: 401 missing or malformed, 403 wrong.

use reqwest::Method;

use crate::helpers::{Backend, INTERNAL_SECRET, TestApp, assert_error};

#[tokio::test]
async fn internal_routes_require_the_bearer_secret() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let routes = [(Method::GET, "/internal/apps"), (Method::POST, "/internal/apps"), (Method::GET, "/internal/apps/x")];
    for (method, path) in routes {
        let res = app.request(method.clone(), path).send().await.unwrap();
        assert_error(res, 401, "Missing or invalid Authorization header").await;

        for header in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", INTERNAL_SECRET] {
            let res = app.request(method.clone(), path).header("authorization", header).send().await.unwrap();
            assert_error(res, 401, "Missing or invalid Authorization header").await;
        }

        let wrong = format!("{INTERNAL_SECRET}x");
        let res = app.request(method.clone(), path).bearer_auth(&wrong).send().await.unwrap();
        let body = assert_error(res, 403, "Invalid authentication token").await;
        assert!(!body.to_string().contains(&wrong), "the token is echoed: {body}");
    }
    let res = app.internal(Method::GET, "/internal/apps").send().await.unwrap();
    assert_eq!(res.status(), 200);
}
