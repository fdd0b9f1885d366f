//! /internal/apps over every backend: create, read, list, update, and their validation.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, TestApp, assert_error, for_each_backend, json_of};

for_each_backend!(
    created_app_can_be_read_back,
    listing_pages_through_apps_oldest_first,
    patch_renames_and_deactivates_an_app,
    unknown_and_malformed_app_ids_are_404_and_400,
    invalid_app_input_is_400_and_changes_nothing,
);

async fn created_app_can_be_read_back(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let res = app.internal(Method::POST, "/internal/apps").json(&json!({"name": "  Acme CRM "})).send().await.unwrap();
    let created = json_of(res, 201).await;
    assert_eq!(created["name"], "Acme CRM");
    assert_eq!(created["is_active"], true);
    let id = created["id"].as_str().unwrap();

    let res = app.internal(Method::GET, &format!("/internal/apps/{id}")).send().await.unwrap();
    assert_eq!(json_of(res, 200).await, created);
}

async fn listing_pages_through_apps_oldest_first(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let mut ids = Vec::new();
    for name in ["first", "second", "third"] {
        ids.push(app.create_app(name).await);
    }
    let res = app.internal(Method::GET, "/internal/apps?limit=2").send().await.unwrap();
    let page1 = json_of(res, 200).await;
    let names: Vec<&str> = page1["apps"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["first", "second"]);
    let cursor = page1["next_cursor"].as_str().expect("a next page exists");

    let res = app.internal(Method::GET, &format!("/internal/apps?limit=2&cursor={cursor}")).send().await.unwrap();
    let page2 = json_of(res, 200).await;
    assert_eq!(page2["apps"].as_array().unwrap().len(), 1);
    assert_eq!(page2["apps"][0]["id"], ids[2].as_str());
    assert!(page2["next_cursor"].is_null());

    for bad in ["limit=0", "limit=201", "limit=ten", "cursor=garbage"] {
        let res = app.internal(Method::GET, &format!("/internal/apps?{bad}")).send().await.unwrap();
        assert_error(res, 400, "Bad request").await;
    }
}

async fn patch_renames_and_deactivates_an_app(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let id = app.create_app("before").await;
    let path = format!("/internal/apps/{id}");

    let res = app.internal(Method::PATCH, &path).json(&json!({"name": "after", "is_active": false})).send().await;
    let updated = json_of(res.unwrap(), 200).await;
    assert_eq!(updated["name"], "after");
    assert_eq!(updated["is_active"], false);
    assert_ne!(updated["updated_at"], updated["created_at"]);

    let read = json_of(app.internal(Method::GET, &path).send().await.unwrap(), 200).await;
    assert_eq!(read, updated);
}

async fn unknown_and_malformed_app_ids_are_404_and_400(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let unknown = "/internal/apps/6f1c2a3e-9b1d-4c55-8a47-3f0d2b6e9c10";
    assert_error(app.internal(Method::GET, unknown).send().await.unwrap(), 404, "Not found").await;
    let res = app.internal(Method::PATCH, unknown).json(&json!({"name": "x"})).send().await.unwrap();
    assert_error(res, 404, "Not found").await;
    let body =
        assert_error(app.internal(Method::GET, "/internal/apps/not-a-uuid").send().await.unwrap(), 400, "Bad request")
            .await;
    assert!(body["message"].as_str().unwrap().contains("app_id"), "{body}");
}

async fn invalid_app_input_is_400_and_changes_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let cases = [
        ("empty name", json!({"name": "   "})),
        ("name too long", json!({"name": "x".repeat(101)})),
        ("control character", json!({"name": "a\u{0}b"})),
        ("missing name", json!({})),
        ("unknown field", json!({"name": "ok", "colour": "red"})),
        ("wrong type", json!({"name": 42})),
    ];
    for (case, body) in cases {
        let res = app.internal(Method::POST, "/internal/apps").json(&body).send().await.unwrap();
        assert_eq!(res.status(), 400, "case {case}");
        assert_error(res, 400, "Bad request").await;
    }
    let res = app.internal(Method::POST, "/internal/apps").body("{not json").header("content-type", "application/json");
    assert_error(res.send().await.unwrap(), 400, "Bad request").await;
    let res = app.internal(Method::POST, "/internal/apps").body("name=x").header("content-type", "text/plain");
    assert_error(res.send().await.unwrap(), 415, "Unsupported media type").await;

    let id = app.create_app("kept").await;
    let path = format!("/internal/apps/{id}");
    for (case, body) in [("empty patch", json!({})), ("bad active", json!({"is_active": "no"}))] {
        let res = app.internal(Method::PATCH, &path).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 400, "case {case}");
    }
    let listed = json_of(app.internal(Method::GET, "/internal/apps").send().await.unwrap(), 200).await;
    assert_eq!(listed["apps"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["apps"][0]["name"], "kept");
}
