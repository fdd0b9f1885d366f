//! The HTTP adapter (salvo): routes, middleware, DTOs, the JSON error shape and the OpenAPI
//! document. [`service`] assembles everything into one salvo `Service`.

pub mod catcher;
mod console;
pub mod cursor;
pub mod error;
pub mod extract;
pub mod json;
pub mod middleware;
pub mod respond;
pub mod route_table;
pub mod routes;
pub mod state;

use ipnet::IpNet;
use salvo::affix_state;
use salvo::catcher::Catcher;
use salvo::oapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use salvo::oapi::swagger_ui::SwaggerUi;
use salvo::oapi::{OpenApi, RouterExt, SecurityRequirement};
use salvo::prelude::*;

use self::middleware::https::EnforceHttps;
use self::middleware::internal_auth::require_internal_secret;
use self::middleware::observe::Observe;
use self::state::AppState;

/// The security scheme name of the admin API in the OpenAPI document.
pub const INTERNAL_SECURITY: &str = "internal_bearer";
/// The security scheme name of the per-app API in the OpenAPI document.
pub const APP_KEY_SECURITY: &str = "app_api_key";

/// What the HTTP layer needs beyond the use cases.
pub struct HttpSettings {
    /// `Some` in production: redirect plain http to https and send HSTS.
    pub enforce_https: Option<Vec<IpNet>>,
    /// Serve the live console at /console.
    pub console: bool,
}

/// Every API route (without the documentation routes).
pub fn api_router() -> Router {
    let internal = Router::with_path("internal")
        .hoop(require_internal_secret)
        .oapi_security(SecurityRequirement::new(INTERNAL_SECURITY, Vec::<String>::new()))
        .push(
            Router::with_path("apps").get(routes::apps::list_apps).post(routes::apps::create_app).push(
                Router::with_path("{app_id}")
                    .get(routes::apps::get_app)
                    .patch(routes::apps::update_app)
                    .push(
                        Router::with_path("api-key")
                            .post(routes::api_keys::issue_key)
                            .delete(routes::api_keys::revoke_key)
                            .push(Router::with_path("status").get(routes::api_keys::key_status))
                            .push(Router::with_path("audit").get(routes::api_keys::key_audit)),
                    )
                    .push(
                        Router::with_path("webhook-secret")
                            .post(routes::webhooks::issue_webhook_secret)
                            .get(routes::webhooks::list_webhook_secrets),
                    )
                    .push(
                        Router::with_path("dialpad")
                            .push(Router::with_path("connect-link").post(routes::dialpad::create_connect_link))
                            .push(Router::with_path("connection").get(routes::dialpad::dialpad_connection))
                            .push(Router::with_path("provision").post(routes::dialpad::provision_dialpad)),
                    )
                    .push(
                        Router::with_path("user-mappings")
                            .post(routes::user_mappings::create_mapping)
                            .get(routes::user_mappings::list_mappings)
                            .push(
                                Router::with_path("{dialpad_user_id}")
                                    .get(routes::user_mappings::get_mapping)
                                    .patch(routes::user_mappings::update_mapping)
                                    .delete(routes::user_mappings::delete_mapping),
                            ),
                    ),
            ),
        )
        .push(Router::with_path("webhooks/unrouted").get(routes::webhooks::list_unrouted));
    let app_api = Router::with_path("api")
        .hoop(middleware::api_key_auth::require_api_key)
        .oapi_security(SecurityRequirement::new(APP_KEY_SECURITY, Vec::<String>::new()))
        .push(Router::with_path("me").get(routes::me::me))
        .push(Router::with_path("ws-ticket").post(routes::streams::issue_ticket))
        .push(
            Router::with_path("dialpad")
                .push(Router::with_path("connect-link").post(routes::dialpad::create_app_connect_link))
                .push(Router::with_path("calls").post(routes::dialpad::start_call))
                .push(Router::with_path("screen-pop").post(routes::dialpad::pop_screen)),
        )
        .push(
            Router::with_path("calls")
                .get(routes::calls::list_calls)
                .push(Router::with_path("{call_id}").get(routes::calls::get_call)),
        )
        .push(
            Router::with_path("voicemails")
                .get(routes::voicemails::list_voicemails)
                .push(Router::with_path("{id}").get(routes::voicemails::get_voicemail)),
        );
    let webhooks = Router::with_path("webhooks/dialpad")
        .post(routes::webhooks::receive_legacy)
        .push(Router::with_path("{app_id}").post(routes::webhooks::receive_for_app));
    let oauth = Router::with_path("auth/dialpad")
        .push(Router::with_path("connect").get(routes::dialpad::start_dialpad_connect))
        .push(Router::with_path("callback").get(routes::dialpad::dialpad_callback))
        .push(
            Router::with_path("disconnect/{app_id}")
                .hoop(require_internal_secret)
                .oapi_security(SecurityRequirement::new(INTERNAL_SECURITY, Vec::<String>::new()))
                .post(routes::dialpad::disconnect_dialpad),
        );
    // Routers are tried in order: the busiest traffic (webhooks, the app API) first.
    Router::new()
        .push(webhooks)
        .push(app_api)
        .push(Router::with_path("ws").get(routes::streams::connect))
        .push(internal)
        .push(oauth)
        .push(
            Router::with_path("health")
                .get(routes::health::health)
                .push(Router::with_path("ready").get(routes::ready::ready)),
        )
        .push(Router::with_path("metrics").get(routes::metrics::metrics))
}

/// The OpenAPI 3 document of `router`. Schemas are named by their short type name and
/// operations by their handler's name, so generated clients read well.
pub fn openapi(router: &Router) -> OpenApi {
    salvo::oapi::naming::set_namer(salvo::oapi::naming::FlexNamer::new().short_mode(true));
    let mut doc = OpenApi::new("cti-server", env!("CARGO_PKG_VERSION")).merge_router(router);
    for item in doc.paths.values_mut() {
        for operation in item.operations.values_mut() {
            if let Some(id) = operation.operation_id.as_mut()
                && let Some((_, short)) = id.rsplit_once('.')
            {
                *id = short.to_owned();
            }
        }
    }
    doc.components.security_schemes.insert(
        INTERNAL_SECURITY.to_owned(),
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer).description("INTERNAL_API_SECRET as a bearer token"))
            .into(),
    );
    doc.components.security_schemes.insert(
        APP_KEY_SECURITY.to_owned(),
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            middleware::api_key_auth::API_KEY_HEADER,
            "The app's API key",
        )))
        .into(),
    );
    doc
}

/// The whole HTTP service: API routes, /openapi.json, /docs, the console, middleware and the
/// JSON catcher.
pub fn service(state: AppState, settings: HttpSettings) -> Service {
    let router = api_router();
    let doc = openapi(&router);
    let mut router =
        router.unshift(doc.into_router("/openapi.json")).unshift(SwaggerUi::new("/openapi.json").into_router("/docs"));
    if settings.console {
        router = router.unshift(console::router());
    }
    let mut service = Service::new(router)
        .catcher(Catcher::default().hoop(catcher::json_errors))
        .hoop(Observe::new(state.metrics.clone()))
        .hoop(middleware::panic::catch_panic)
        .hoop(middleware::request_shape::request_shape);
    if let Some(trusted) = settings.enforce_https {
        service = service.hoop(EnforceHttps::new(trusted));
    }
    service.hoop(affix_state::inject(state))
}
