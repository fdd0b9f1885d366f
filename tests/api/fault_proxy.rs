//! A fault-injecting TCP proxy for the harness: it stands between a server and PostgreSQL or
//! Redis and can pause every connection (bytes stop flowing both ways, as when a host
//! freezes), cut them all (they see their peer close), or refuse new ones.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Pass,
    Pause,
    Refuse,
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    mode: watch::Sender<Mode>,
    /// Cancelled by [`FaultProxy::cut`]; each connection holds the one current at its start.
    cut: Arc<Mutex<CancellationToken>>,
    stop: CancellationToken,
}

impl FaultProxy {
    /// A proxy to `target` on 127.0.0.1:0, passing traffic.
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (mode, _) = watch::channel(Mode::Pass);
        let cut = Arc::new(Mutex::new(CancellationToken::new()));
        let stop = CancellationToken::new();
        let (modes, cuts, stopped) = (mode.clone(), cut.clone(), stop.clone());
        tokio::spawn(async move {
            loop {
                let client = tokio::select! {
                    accepted = listener.accept() => match accepted { Ok((client, _)) => client, Err(_) => continue },
                    () = stopped.cancelled() => return,
                };
                if *modes.borrow() == Mode::Refuse {
                    drop(client);
                    continue;
                }
                let token = cuts.lock().unwrap().clone();
                let modes = modes.subscribe();
                tokio::spawn(async move {
                    let Ok(upstream) = TcpStream::connect(target).await else { return };
                    let (client_read, client_write) = client.into_split();
                    let (upstream_read, upstream_write) = upstream.into_split();
                    tokio::select! {
                        () = pipe(client_read, upstream_write, modes.clone(), token.clone()) => {}
                        () = pipe(upstream_read, client_write, modes, token.clone()) => {}
                    }
                });
            }
        });
        Self { addr, mode, cut, stop }
    }

    /// A proxy to the host and port of `url`, and `url` pointed at the proxy.
    pub async fn for_url(url: &str) -> (Self, String) {
        let mut parsed = url::Url::parse(url).unwrap();
        let host = parsed.host_str().unwrap().to_owned();
        let port = parsed.port().unwrap();
        let target = tokio::net::lookup_host((host.as_str(), port)).await.unwrap().next().unwrap();
        let proxy = Self::start(target).await;
        parsed.set_host(Some("127.0.0.1")).unwrap();
        parsed.set_port(Some(proxy.addr.port())).unwrap();
        (proxy, parsed.to_string())
    }

    /// Traffic flows again, and new connections are accepted.
    pub fn pass(&self) {
        self.mode.send_replace(Mode::Pass);
    }

    /// Every connection stalls: nothing is read or written until [`FaultProxy::pass`].
    pub fn pause(&self) {
        self.mode.send_replace(Mode::Pause);
    }

    /// New connections are closed at once (open ones go on).
    pub fn refuse(&self) {
        self.mode.send_replace(Mode::Refuse);
    }

    /// Closes every open connection now.
    pub fn cut(&self) {
        let mut current = self.cut.lock().unwrap();
        current.cancel();
        *current = CancellationToken::new();
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.cancel();
        self.cut();
    }
}

/// Copies `from` to `to` while the mode lets it, until either side closes or the cut.
async fn pipe(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    mut mode: watch::Receiver<Mode>,
    cut: CancellationToken,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        while *mode.borrow_and_update() == Mode::Pause {
            tokio::select! {
                changed = mode.changed() => if changed.is_err() { return },
                () = cut.cancelled() => return,
            }
        }
        tokio::select! {
            read = from.read(&mut buf) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => if to.write_all(&buf[..n]).await.is_err() { return },
            },
            changed = mode.changed() => if changed.is_err() { return },
            () = cut.cancelled() => return,
        }
    }
}
