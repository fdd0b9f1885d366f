//! The OpenAPI document lists every route the server answers, and /docs serves the UI.

use cti_server::adapters::http::{api_router, route_table};
use reqwest::Method;

use crate::helpers::{Backend, TestApp, json_of};

#[tokio::test]
async fn openapi_json_is_an_openapi_3_document_listing_every_route() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let doc = json_of(app.request(Method::GET, "/openapi.json").send().await.unwrap(), 200).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    let text = serde_json::to_string(&doc).unwrap();
    oas3::from_json(&text).expect("the document parses as OpenAPI 3.1");

    let router = api_router();
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

/// The document says what the server enforces, so generated clients and fuzzers send what
/// is accepted (schemathesis in CI checks the rest).
#[tokio::test]
async fn the_document_states_the_constraints_the_server_enforces() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let doc = json_of(app.request(Method::GET, "/openapi.json").send().await.unwrap(), 200).await;
    let param = |path: &str, method: &str, name: &str| {
        let params = doc["paths"][path][method]["parameters"].as_array().unwrap_or_else(|| panic!("{method} {path}"));
        params.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{name} of {method} {path}")).clone()
    };
    assert_eq!(param("/internal/apps/{app_id}", "get", "app_id")["schema"]["format"], "uuid");
    let limit = param("/api/calls", "get", "limit");
    assert_eq!((limit["schema"]["minimum"].as_i64(), limit["schema"]["maximum"].as_i64()), (Some(1), Some(200)));
    assert_eq!(
        param("/internal/apps/{app_id}/user-mappings/{dialpad_user_id}", "get", "dialpad_user_id")["schema"]["minimum"],
        1
    );
    assert!(doc["paths"]["/api/me"]["get"]["responses"]["401"].is_object(), "/api/me documents its 401");
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["UpdateAppRequest"]["minProperties"], 1, "a PATCH needs a field");
    assert_eq!(schemas["UpdateMappingRequest"]["minProperties"], 1);
    assert_eq!(schemas["CreateAppRequest"]["properties"]["name"]["minLength"], 1);
    assert_eq!(schemas["IssueKeyRequest"]["properties"]["grace_seconds"]["maximum"], 2592000);
    assert_eq!(schemas["RotateSecretRequest"]["properties"]["previous_valid_seconds"]["maximum"], 2592000);
    for path in ["/internal/apps/{app_id}/api-key", "/internal/apps/{app_id}/webhook-secret"] {
        assert_ne!(doc["paths"][path]["post"]["requestBody"]["required"], true, "{path}: the body is optional");
    }
}

#[tokio::test]
async fn a_json_body_that_is_not_an_object_is_refused() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let id = app.create_app("x").await;
    for body in ["[\"renamed\", false]", "\"renamed\"", "3"] {
        let res = app
            .internal(Method::PATCH, &format!("/internal/apps/{id}"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        crate::helpers::assert_error(res, 400, "Bad request").await;
    }
    let res = app.internal(Method::POST, &format!("/internal/apps/{id}/api-key")).body("null").send().await.unwrap();
    assert_eq!(res.status(), 201, "null is an absent optional body");
}
