//! Lists the (method, path) pairs a router answers, by walking its path and method filters.
//! Used by the test that keeps the OpenAPI document complete as routes are added.

use salvo::Router;
use salvo::routing::FilterInfo;

/// Every route with a handler, as ("GET", "/internal/apps/{app_id}").
pub fn routes(router: &Router) -> Vec<(String, String)> {
    let mut out = Vec::new();
    walk(router, String::new(), None, &mut out);
    out.sort();
    out.dedup();
    out
}

fn walk(router: &Router, prefix: String, method: Option<String>, out: &mut Vec<(String, String)>) {
    let mut path = prefix;
    let mut method = method;
    for filter in router.filters() {
        match filter.info() {
            FilterInfo::Path(segment) => {
                let segment = segment.trim_matches('/');
                if !segment.is_empty() {
                    path = format!("{}/{segment}", path.trim_end_matches('/'));
                }
            }
            FilterInfo::Method(m) => method = Some(m.as_str().to_owned()),
            _ => {}
        }
    }
    if router.goal.is_some() {
        let shown = if path.is_empty() { "/".to_owned() } else { path.clone() };
        out.push((method.clone().unwrap_or_else(|| "ANY".to_owned()), shown));
    }
    for child in router.routers() {
        walk(child, path.clone(), method.clone(), out);
    }
}
