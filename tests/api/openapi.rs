//! The OpenAPI document lists every route the server answers, and /docs serves the UI.

use cti_server::adapters::http::{HttpSettings, api_router, route_table};
use reqwest::Method;
use secrecy::SecretString;

use crate::helpers::{Backend, TestApp, json_of};

#[tokio::test]
async fn openapi_json_is_an_openapi_3_document_listing_every_route() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let doc = json_of(app.request(Method::GET, "/openapi.json").send().await.unwrap(), 200).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    let text = serde_json::to_string(&doc).unwrap();
    oas3::from_json(&text).expect("the document parses as OpenAPI 3.1");

    let router = api_router(&HttpSettings { internal_api_secret: SecretString::from("x"), enforce_https: None });
    let routes = route_table::routes(&router);
    assert!(routes.len() >= 6, "{routes:?}");
    for (method, path) in routes {
        let operation = &doc["paths"][&path][method.to_lowercase()];
        assert!(operation.is_object(), "{method} {path} is missing from /openapi.json");
        assert!(operation["summary"].as_str().is_some_and(|s| !s.is_empty()), "{method} {path} has no summary");
        if path.starts_with("/internal") {
            assert!(!operation["security"].as_array().unwrap().is_empty(), "{method} {path} has no security");
        }
    }
}

#[tokio::test]
async fn docs_serve_an_interactive_ui() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let res = app.request(Method::GET, "/docs/").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().to_lowercase().contains("swagger"));
}
