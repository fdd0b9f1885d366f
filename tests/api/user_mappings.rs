//! /internal/apps/{app_id}/user-mappings over every backend.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, TestApp, assert_error, for_each_backend, json_of};

for_each_backend!(mappings_are_created_read_updated_and_deleted, bad_mappings_are_400_and_duplicates_409);

async fn mappings_are_created_read_updated_and_deleted(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let id = app.create_app("Mapped").await;
    let base = format!("/internal/apps/{id}/user-mappings");
    let body = json!({"dialpad_user_id": "5527348325810176", "app_user_id": "agent-1", "email": "a@example.com"});
    let created = json_of(app.internal(Method::POST, &base).json(&body).send().await.unwrap(), 201).await;
    assert_eq!(
        (created["dialpad_user_id"].as_i64(), created["email"].as_str()),
        (Some(5527348325810176), Some("a@example.com"))
    );
    app.internal(Method::POST, &base)
        .json(&json!({"dialpad_user_id": 42, "app_user_id": "agent-2"}))
        .send()
        .await
        .unwrap();

    let one = format!("{base}/5527348325810176");
    assert_eq!(json_of(app.internal(Method::GET, &one).send().await.unwrap(), 200).await, created);
    let patch = json!({"email": null, "display_name": "Ada"});
    let updated = json_of(app.internal(Method::PATCH, &one).json(&patch).send().await.unwrap(), 200).await;
    assert_eq!((updated["email"].is_null(), updated["display_name"].as_str()), (true, Some("Ada")));

    let page = json_of(app.internal(Method::GET, &format!("{base}?limit=1")).send().await.unwrap(), 200).await;
    assert_eq!(page["mappings"][0]["dialpad_user_id"], 42);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest =
        json_of(app.internal(Method::GET, &format!("{base}?limit=1&cursor={cursor}")).send().await.unwrap(), 200).await;
    assert_eq!(rest["mappings"][0]["dialpad_user_id"], 5527348325810176i64);

    assert_eq!(app.internal(Method::DELETE, &one).send().await.unwrap().status(), 204);
    assert_error(app.internal(Method::GET, &one).send().await.unwrap(), 404, "Not found").await;
    assert_error(app.internal(Method::DELETE, &one).send().await.unwrap(), 404, "Not found").await;
}

async fn bad_mappings_are_400_and_duplicates_409(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let id = app.create_app("Strict").await;
    let base = format!("/internal/apps/{id}/user-mappings");
    let ok = json!({"dialpad_user_id": 42, "app_user_id": "agent"});
    assert_eq!(app.internal(Method::POST, &base).json(&ok).send().await.unwrap().status(), 201);
    let res =
        app.internal(Method::POST, &base).json(&json!({"dialpad_user_id": "42", "app_user_id": "x"})).send().await;
    assert_error(res.unwrap(), 409, "Conflict").await;
    let cases = [
        ("fraction", json!({"dialpad_user_id": 1.5, "app_user_id": "a"})),
        ("letters", json!({"dialpad_user_id": "abc", "app_user_id": "a"})),
        ("negative", json!({"dialpad_user_id": -4, "app_user_id": "a"})),
        ("missing id", json!({"app_user_id": "a"})),
        ("empty app user", json!({"dialpad_user_id": 5, "app_user_id": ""})),
        ("unknown field", json!({"dialpad_user_id": 5, "app_user_id": "a", "role": "x"})),
    ];
    for (case, body) in cases {
        let res = app.internal(Method::POST, &base).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 400, "case {case}");
    }
    for path in [format!("{base}/abc"), format!("{base}/1.5"), format!("{base}/0")] {
        assert_error(app.internal(Method::GET, &path).send().await.unwrap(), 400, "Bad request").await;
    }
    let res = app.internal(Method::PATCH, &format!("{base}/42")).json(&json!({})).send().await.unwrap();
    assert_error(res, 400, "Bad request").await;
    let unknown_app = "/internal/apps/6f1c2a3e-9b1d-4c55-8a47-3f0d2b6e9c10/user-mappings";
    assert_error(app.internal(Method::POST, unknown_app).json(&ok).send().await.unwrap(), 404, "Not found").await;
}
