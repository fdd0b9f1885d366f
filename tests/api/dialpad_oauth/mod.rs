//! The Dialpad OAuth connection end to end, against the fake Dialpad: a browser (a reqwest
//! client that follows no redirect by itself and carries the session cookie by hand) goes
//! from a connect link through the fake's authorize endpoint back to a callback, on
//! whichever instance the test picks.

mod abuse;
mod connect;
mod disconnect;
mod no_token_in_clear;
pub mod refresh;
mod upstream;

use cti_server::config::Settings;
use reqwest::{Method, Response};
use serde_json::Value;

use crate::fake_dialpad::{self, FakeDialpad};
use crate::helpers::{TestApp, json_of};

/// The redirect URI registered with the fake: its origin stands for the load balancer in
/// front of every instance; the browser below sends each request to the instance a test picks.
pub const REDIRECT_URI: &str = "http://cti.example.test/auth/dialpad/callback";
pub const SESSION_SECRET: &str = "test-session-secret-0123456789abcdef";

/// Settings that make a test server a client of `fake`.
pub fn with_dialpad(fake: &FakeDialpad) -> impl FnOnce(&mut Settings) + use<> {
    let base_url = fake.base_url.clone();
    move |s: &mut Settings| {
        s.client_id = Some(fake_dialpad::CLIENT_ID.into());
        s.client_secret = Some(fake_dialpad::CLIENT_SECRET.into());
        s.redirect_uri = Some(REDIRECT_URI.into());
        s.dialpad_base_url = Some(base_url);
        s.session_secret = Some(SESSION_SECRET.into());
    }
}

/// `url` with its origin replaced by `base` (the load balancer picking that instance).
pub fn on(base: &str, url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    format!("{base}{}?{}", url.path(), url.query().unwrap_or_default())
}

/// A browser's view of the flow: follows no redirect by itself, keeps the session cookie.
pub struct Browser {
    client: reqwest::Client,
    pub cookie: Option<String>,
}

impl Default for Browser {
    fn default() -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { client, cookie: None }
    }
}

impl TestApp {
    /// A connect link for `app_id`, made through the admin API.
    pub async fn connect_link(&self, app_id: &str) -> String {
        let res =
            self.internal(Method::POST, &format!("/internal/apps/{app_id}/dialpad/connect-link")).send().await.unwrap();
        let body = json_of(res, 201).await;
        assert_eq!(body["expires_in"], 600, "{body}");
        body["url"].as_str().unwrap().to_owned()
    }

    /// The app's connection as the admin API shows it (asserting `status`).
    pub async fn connection(&self, app_id: &str, status: u16) -> Value {
        let res =
            self.internal(Method::GET, &format!("/internal/apps/{app_id}/dialpad/connection")).send().await.unwrap();
        json_of(res, status).await
    }
}

impl Browser {
    /// Opens a connect link on the instance at `base`: the response (a 302 to Dialpad when
    /// all is well), keeping the session cookie it sets.
    pub async fn open(&mut self, base: &str, link: &str) -> Response {
        let res = self.client.get(on(base, link)).send().await.unwrap();
        if let Some(set) = res.headers().get("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            self.cookie = Some(pair.to_owned());
        }
        res
    }

    /// Follows the authorize redirect at the fake: the callback URL Dialpad sends back.
    pub async fn authorize(&self, started: Response) -> String {
        assert_eq!(started.status(), 302, "{}", started.text().await.unwrap());
        let location = started.headers()["location"].to_str().unwrap().to_owned();
        let res = self.client.get(&location).send().await.unwrap();
        assert_eq!(res.status(), 302, "the fake redirects back");
        res.headers()["location"].to_str().unwrap().to_owned()
    }

    /// Lands on the callback on the instance at `base`, with the session cookie, asking for JSON.
    pub async fn callback(&self, base: &str, callback_url: &str) -> Response {
        let mut request = self.client.get(on(base, callback_url)).header("accept", "application/json");
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.unwrap()
    }

    /// The whole flow: link made on `link_on`, started there, finished on `finish_on`.
    pub async fn connect(link_on: &TestApp, finish_on: &TestApp, app_id: &str) -> Response {
        let mut browser = Browser::default();
        let link = link_on.connect_link(app_id).await;
        let started = browser.open(&link_on.address, &link).await;
        let back = browser.authorize(started).await;
        browser.callback(&finish_on.address, &back).await
    }
}

/// Connects `app_id` on `app` and asserts it worked.
pub async fn connected(app: &TestApp, app_id: &str) -> Value {
    json_of(Browser::connect(app, app, app_id).await, 200).await
}
