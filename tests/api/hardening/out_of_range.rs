//! Values no storage can represent are the client's mistake: 400 naming the parameter,
//! never a 500 from the database.

use reqwest::Method;

use crate::helpers::{Backend, TestApp, assert_error, for_each_backend};

for_each_backend!(out_of_range_times_and_crafted_cursors_are_400);

async fn out_of_range_times_and_crafted_cursors_are_400(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (_, _, key) = app.tenant("ranges").await;
    // "-400000000000000000.1" and a time in year 10000 as cursors.
    let crafted = ["LTQwMDAwMDAwMDAwMDAwMDAwMC4x", "MjUzNDAyMzAwODAwMDAwMDAwLjE"];
    let mut paths = Vec::new();
    for list in ["/api/calls", "/api/voicemails"] {
        for query in ["since=-400000000000000", "until=-400000000000000", "since=10000-01-01T00:00:00Z", "until=-1"] {
            paths.push(format!("{list}?{query}"));
        }
        paths.extend(crafted.iter().map(|c| format!("{list}?cursor={c}")));
    }
    for path in paths {
        let res = app.request(Method::GET, &path).header("x-app-api-key", &key).send().await.unwrap();
        let body = assert_error(res, 400, "Bad request").await;
        let named = ["since", "until", "cursor"].iter().any(|p| body["message"].as_str().unwrap().contains(p));
        assert!(named, "{path}: {body}");
    }
    for cursor in crafted {
        let res = app.internal(Method::GET, &format!("/internal/apps?cursor={cursor}")).send().await.unwrap();
        assert_error(res, 400, "Bad request").await;
    }
    let fine = app.request(Method::GET, "/api/calls?since=0&until=253402300799999").header("x-app-api-key", &key);
    assert_eq!(fine.send().await.unwrap().status(), 200, "the whole range is accepted");
}
