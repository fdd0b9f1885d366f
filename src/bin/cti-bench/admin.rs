//! The admin API calls the benchmarks need: create apps, issue keys.

use anyhow::{Context, bail};
use serde_json::{Value, json};

pub struct Admin {
    pub url: String,
    secret: String,
    pub http: reqwest::Client,
}

impl Admin {
    pub fn new(url: &str, secret: &str) -> Self {
        let http = reqwest::Client::builder().pool_max_idle_per_host(1024).build().expect("http client");
        Self { url: url.trim_end_matches('/').to_owned(), secret: secret.to_owned(), http }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value, expect: u16) -> anyhow::Result<Value> {
        let res = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.secret)
            .json(&body)
            .send()
            .await
            .with_context(|| format!("{path}: no answer from {}", self.url))?;
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if status != expect {
            bail!("{path}: expected {expect}, got {status}: {body} (is --secret the server's INTERNAL_API_SECRET?)");
        }
        Ok(body)
    }

    /// Creates an app; its id.
    pub async fn create_app(&self, name: &str) -> anyhow::Result<String> {
        let app = self.call(reqwest::Method::POST, "/internal/apps", json!({ "name": name }), 201).await?;
        Ok(app["id"].as_str().context("app id")?.to_owned())
    }

    /// Issues (or rotates) the app's key; the key.
    pub async fn issue_key(&self, app_id: &str) -> anyhow::Result<String> {
        let path = format!("/internal/apps/{app_id}/api-key");
        let issued = self.call(reqwest::Method::POST, &path, json!({}), 201).await?;
        Ok(issued["api_key"].as_str().context("api_key")?.to_owned())
    }
}

impl Admin {
    /// Generates the app's webhook secret; the secret.
    pub async fn webhook_secret(&self, app_id: &str) -> anyhow::Result<String> {
        let path = format!("/internal/apps/{app_id}/webhook-secret");
        let issued = self.call(reqwest::Method::POST, &path, json!({}), 201).await?;
        Ok(issued["secret"].as_str().context("secret")?.to_owned())
    }
}
