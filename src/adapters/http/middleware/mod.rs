//! Middleware ("hoops") applied to every request, outermost first: [`observe`] (request id,
//! access log, metrics), [`panic`] (a panic becomes an opaque 500), [`request_shape`]
//! (oversized URIs and header sets), [`https`] (production only), and per-route-group guards such as [`internal_auth`]. The guards apply the rate
//! limits ([`limits`]).

pub mod api_key_auth;
pub mod client_ip;
pub mod https;
pub mod internal_auth;
pub mod limits;
pub mod observe;
pub mod panic;
pub mod request_shape;
