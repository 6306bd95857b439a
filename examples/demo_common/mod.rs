//! What both demo apps share: the command line reader, HTTPS through tokio-rustls with rustls on
//! ring (passed explicitly, never installed process-wide), the JSON-lines request log, clean
//! shutdown on Ctrl-C and SIGTERM, and HTML escaping.
//!
//! Included by `#[path]` from examples/portal_demo/main.rs and examples/vendor_demo/main.rs.

#![allow(dead_code)] // each demo uses its own part

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderName;
use axum::http::header::{AUTHORIZATION, COOKIE, ORIGIN, REFERER};
use axum::middleware::{self, Next};
use axum::response::Response;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A command line error: the message, printed with the usage; exit status 2.
#[derive(Debug)]
pub struct UsageError(pub String);

/// The arguments after the program name, read as `--flag value` or `--flag=value` pairs, and
/// bare `--flag` switches for the names in `switches`.
pub struct Args {
    pairs: Vec<(String, Option<String>)>,
}

impl Args {
    /// Reads `args` (without the program name). `switches` take no value.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        switches: &[&str],
        valued: &[&str],
    ) -> Result<Args, UsageError> {
        let mut pairs = Vec::new();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let Some(flag) = arg.strip_prefix("--") else {
                return Err(UsageError(format!("unexpected argument {arg:?}")));
            };
            let (name, inline) = match flag.split_once('=') {
                Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
                None => (flag.to_owned(), None),
            };
            if switches.contains(&name.as_str()) {
                if inline.is_some() {
                    return Err(UsageError(format!("--{name} takes no value")));
                }
                pairs.push((name, None));
            } else if valued.contains(&name.as_str()) {
                let value = match inline {
                    Some(value) => value,
                    None => args
                        .next()
                        .ok_or_else(|| UsageError(format!("--{name} needs a value")))?,
                };
                pairs.push((name, Some(value)));
            } else {
                return Err(UsageError(format!("unknown flag --{name}")));
            }
        }
        Ok(Args { pairs })
    }

    /// The last value of `--name`, if given.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// Every value of `--name`, in order.
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(n, _)| n == name)
            .filter_map(|(_, v)| v.as_deref())
            .collect()
    }

    /// Whether the switch `--name` was given.
    pub fn flag(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, _)| n == name)
    }

    /// `--tls-cert` and `--tls-key`: both or neither.
    pub fn tls(&self) -> Result<Option<(String, String)>, UsageError> {
        match (self.value("tls-cert"), self.value("tls-key")) {
            (Some(cert), Some(key)) => Ok(Some((cert.to_owned(), key.to_owned()))),
            (None, None) => Ok(None),
            _ => Err(UsageError(
                "--tls-cert and --tls-key go together".to_owned(),
            )),
        }
    }
}

/// `text` with `&`, `<`, `>`, `"` and `'` escaped for HTML text and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A rustls server configuration on ring (the provider is passed to the builder: no process-wide
/// default is read or installed) from a PEM certificate chain and a PEM private key, offering
/// HTTP/1.1 by ALPN.
pub fn tls_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("cannot read --tls-cert {}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("--tls-cert {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "--tls-cert {}: no CERTIFICATE block",
            cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("--tls-key {}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("--tls-cert/--tls-key: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A TLS listener for `axum::serve`: a task accepts TCP connections and runs each handshake on
/// its own task (a slow or broken client never holds up the others); finished handshakes come
/// through a channel. Failed handshakes are dropped.
pub struct TlsListener {
    incoming: mpsc::Receiver<(tokio_rustls::server::TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    /// Serves TLS with `config` on the connections of `tcp`.
    pub fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> std::io::Result<Self> {
        let local = tcp.local_addr()?;
        let acceptor = TlsAcceptor::from(config);
        let (sender, incoming) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let (stream, peer) = match tcp.accept().await {
                    Ok(accepted) => accepted,
                    Err(_) => {
                        // Too many open files and the like: wait, then go on.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let acceptor = acceptor.clone();
                let sender = sender.clone();
                tokio::spawn(async move {
                    let handshake =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream));
                    if let Ok(Ok(tls)) = handshake.await {
                        let _ = sender.send((tls, peer)).await;
                    }
                });
            }
        });
        Ok(TlsListener { incoming, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.incoming.recv().await {
            Some(accepted) => accepted,
            // The accepting task never ends while the listener lives.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// Resolves when the process gets Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Serves `router` on `listener` (TLS when `tls` is given) until Ctrl-C or SIGTERM, then stops:
/// open connections get up to 3 seconds to finish.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    router: Router,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let graceful = {
        let mut stop = stop_rx.clone();
        async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
        }
    };
    let deadline = {
        let mut stop = stop_rx;
        async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
    };
    let service = router.into_make_service();
    match tls {
        Some(config) => {
            let listener = TlsListener::new(listener, config)?;
            let server = axum::serve(listener, service).with_graceful_shutdown(graceful);
            tokio::select! {
                result = server => result,
                () = deadline => Ok(()),
            }
        }
        None => {
            let server = axum::serve(listener, service).with_graceful_shutdown(graceful);
            tokio::select! {
                result = server => result,
                () = deadline => Ok(()),
            }
        }
    }
}

/// The JSON-lines request log of `--request-log FILE`: one object per request, appended.
#[derive(Clone)]
pub struct RequestLog {
    site: &'static str,
    file: Arc<Mutex<File>>,
}

impl RequestLog {
    /// Opens (creates, appends to) `path`.
    pub fn open(site: &'static str, path: &Path) -> Result<RequestLog, String> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open --request-log {}: {e}", path.display()))?;
        Ok(RequestLog {
            site,
            file: Arc::new(Mutex::new(file)),
        })
    }

    /// `router` with every request logged (when `log` is given).
    pub fn layer(log: Option<RequestLog>, router: Router) -> Router {
        match log {
            Some(log) => router.layer(middleware::from_fn_with_state(log, record)),
            None => router,
        }
    }
}

/// Writes one line for `request`, then runs it.
async fn record(State(log): State<RequestLog>, request: Request, next: Next) -> Response {
    log.write(&request);
    next.run(request).await
}

impl RequestLog {
    fn write(&self, request: &Request) {
        let header = |name: HeaderName| {
            request
                .headers()
                .get(name)
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        };
        let target = request
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str().to_owned())
            .unwrap_or_else(|| request.uri().path().to_owned());
        let line = serde_json::json!({
            "site": self.site,
            "method": request.method().as_str(),
            "target": target,
            "referer": header(REFERER),
            "origin": header(ORIGIN),
            "cookie": request.headers().contains_key(COOKIE),
            "authorization": request.headers().contains_key(AUTHORIZATION),
        });
        if let Ok(mut file) = self.file.lock() {
            let _ = writeln!(file, "{line}");
            let _ = file.flush();
        }
    }
}

/// 128 random bits, base64url without padding (22 characters).
pub fn random_id() -> Option<String> {
    use base64::Engine as _;
    use ring::rand::{SecureRandom as _, SystemRandom};
    let mut bytes = [0u8; 16];
    SystemRandom::new().fill(&mut bytes).ok()?;
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The `'sha256-…'` CSP source of an inline script's text.
pub fn script_hash(script: &str) -> String {
    use base64::Engine as _;
    let digest = ring::digest::digest(&ring::digest::SHA256, script.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    )
}

/// Exits with status 2 after printing `message` (and `usage`, when given) on stderr.
pub fn fail(program: &str, message: &str, usage: Option<&str>) -> ! {
    eprintln!("{program}: error: {message}");
    if let Some(usage) = usage {
        eprintln!("{usage}");
    }
    std::process::exit(2)
}
