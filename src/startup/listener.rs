//! The listening socket, closable from outside. salvo stops accepting on a graceful stop
//! but keeps the socket open until every connection has drained, so the kernel goes on
//! completing handshakes that nobody accepts, and those clients hang until they are reset.
//! Closing the socket the moment the drain starts makes new connections fail at once
//! (connection refused: a load balancer or client tries another instance) while accepted
//! ones finish.

use std::future::pending;
use std::io::Result as IoResult;
use std::sync::Arc;

use salvo::conn::tcp::TcpAcceptor;
use salvo::conn::{Accepted, Acceptor, Holding};
use salvo::fuse::ArcFusePolicy;
use tokio::sync::Mutex;

/// A TCP acceptor whose socket [`Closer::close`] drops.
pub struct ClosableAcceptor {
    inner: Arc<Mutex<Option<TcpAcceptor>>>,
    holdings: Vec<Holding>,
}

/// Closes the listening socket of its [`ClosableAcceptor`].
#[derive(Clone)]
pub struct Closer(Arc<Mutex<Option<TcpAcceptor>>>);

impl ClosableAcceptor {
    pub fn new(acceptor: TcpAcceptor) -> (Self, Closer) {
        let holdings = acceptor.holdings().to_vec();
        let inner = Arc::new(Mutex::new(Some(acceptor)));
        (Self { inner: inner.clone(), holdings }, Closer(inner))
    }
}

impl Closer {
    /// Closes the socket once the server has stopped accepting (the accept in progress
    /// holds the socket until the server drops it on its stop command).
    pub async fn close(&self) {
        self.0.lock().await.take();
    }
}

impl Acceptor for ClosableAcceptor {
    type Coupler = <TcpAcceptor as Acceptor>::Coupler;
    type Stream = <TcpAcceptor as Acceptor>::Stream;

    fn holdings(&self) -> &[Holding] {
        &self.holdings
    }

    async fn accept(&mut self, fuse_policy: Option<ArcFusePolicy>) -> IoResult<Accepted<Self::Coupler, Self::Stream>> {
        let mut inner = self.inner.lock().await;
        match inner.as_mut() {
            Some(acceptor) => acceptor.accept(fuse_policy).await,
            // Closed: never another connection.
            None => pending().await,
        }
    }
}
