//! Production HTTPS enforcement. A request that arrived over plain http is redirected
//! (308, method kept) to the same host and path over https, and every response carries
//! HSTS. X-Forwarded-Proto is believed only from TRUSTED_PROXIES, so a client cannot claim
//! https on a plain connection. Probes (/health, /health/ready, /metrics) are served over
//! http too: load balancers and Prometheus call instances directly.

use std::net::IpAddr;

use ipnet::IpNet;
use salvo::http::HeaderValue;
use salvo::http::header::{HOST, LOCATION, STRICT_TRANSPORT_SECURITY};
use salvo::prelude::*;

pub const HSTS: &str = "max-age=31536000; includeSubDomains";

const PROBE_PATHS: [&str; 3] = ["/health", "/health/ready", "/metrics"];

pub struct EnforceHttps {
    trusted_proxies: Vec<IpNet>,
}

impl EnforceHttps {
    pub fn new(trusted_proxies: Vec<IpNet>) -> Self {
        Self { trusted_proxies }
    }

    fn is_trusted(&self, peer: Option<IpAddr>) -> bool {
        peer.is_some_and(|ip| self.trusted_proxies.iter().any(|net| net.contains(&ip)))
    }

    /// Whether the client's request reached us over https, by the connection or, from a
    /// trusted proxy, by the first X-Forwarded-Proto value.
    fn is_https(&self, req: &Request) -> bool {
        if req.scheme() == &salvo::http::uri::Scheme::HTTPS {
            return true;
        }
        if !self.is_trusted(req.remote_addr().ip()) {
            return false;
        }
        req.headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
    }
}

/// A host header we are willing to put in a Location: host[:port] characters only.
fn safe_host(req: &Request) -> Option<&str> {
    let host = req.headers().get(HOST)?.to_str().ok()?;
    let ok = !host.is_empty()
        && host.len() <= 255
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    ok.then_some(host)
}

#[async_trait]
impl Handler for EnforceHttps {
    async fn handle(&self, req: &mut Request, depot: &mut Depot, res: &mut Response, ctrl: &mut FlowCtrl) {
        let probe = PROBE_PATHS.contains(&req.uri().path());
        if probe || self.is_https(req) {
            ctrl.call_next(req, depot, res).await;
        } else {
            match safe_host(req) {
                Some(host) => {
                    let path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
                    let location = format!("https://{host}{path}");
                    res.status_code(StatusCode::PERMANENT_REDIRECT);
                    if let Ok(value) = HeaderValue::from_str(&location) {
                        res.headers_mut().insert(LOCATION, value);
                    }
                }
                None => {
                    res.status_code(StatusCode::BAD_REQUEST);
                }
            }
            ctrl.skip_rest();
        }
        res.headers_mut().insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
}
