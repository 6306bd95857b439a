//! A portal on loopback for tests of the vendor's HTTP side: a std::net server thread that serves
//! the discovery document, the JWKS and real answers of the crate's [`ClientDataEndpoint`], over
//! plain HTTP or over TLS with a certificate the test made. Tokens are minted by the portal's own
//! [`Issuer`] at test time; its issuer id is `http(s)://127.0.0.1:PORT`.
//!
//! Besides the protocol's paths it serves two misbehaving ones, `/moved` (a 302 to the
//! client-data endpoint) and `/huge` (a 200 of 70 KiB), and a [`Discovery`] mode points the
//! document at them or replaces it. It records the path of every request, and stops on drop.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use cv_portal_plugin::config::{Dimension, Icon, PluginConfig, VisibleTo};
use cv_portal_plugin::wire::{ClientData, ClientDataField};
use cv_portal_plugin::{
    Algorithm, ClientDataEndpoint, Issuer, IssuerId, Role, SigningKey, SubjectId, Url, Viewer,
    render_discovery,
};

/// The plugin the portal knows: granted `name` only.
pub const PLUGIN: &str = "financeiro";
/// The person the portal has data for; any other subject is `client_not_found`.
pub const KNOWN_SUBJECT: &str = "48213";
/// That person's name (granted) and email (not granted: never sent).
pub const NAME: &str = "Maria Souza";
pub const EMAIL: &str = "maria@example.com";

/// What the portal serves at `/.well-known/cv-plugin`.
#[derive(Clone, Debug)]
pub enum Discovery {
    /// The real document.
    Normal,
    /// The real document, with the client-data endpoint at this path of the server.
    ClientDataAt(&'static str),
    /// A 302 to the real document's path elsewhere (`/real-discovery`).
    Redirect,
    /// This body instead, with status 200; `{issuer}` is replaced by the issuer id.
    Body(String),
}

/// A TLS identity for the server: the certificate chain and private key, PEM.
pub struct Tls {
    pub cert_chain_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
}

/// The running portal.
pub struct HttpPortal {
    addr: SocketAddr,
    issuer: Arc<Issuer>,
    plugin: PluginConfig,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

struct Shared {
    issuer_id: IssuerId,
    discovery: String,
    discovery_mode: Discovery,
    jwks: String,
    endpoint: ClientDataEndpoint,
    requests: Arc<Mutex<Vec<String>>>,
    tls: Option<Arc<rustls::ServerConfig>>,
}

fn plugin() -> PluginConfig {
    PluginConfig::builder()
        .id(PLUGIN)
        .name("Financeiro")
        .link("https://erp.example.com/portal/financeiro")
        .icon(Icon::Boleto)
        .title("Financeiro")
        .show_in_client_portal(true)
        .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
        .visible_to(VisibleTo::Cliente)
        .token_lifetime(Duration::from_secs(300))
        .client_data([ClientDataField::Name])
        .build()
        .unwrap()
}

impl HttpPortal {
    /// A plain-HTTP portal serving `discovery`.
    pub fn start(discovery: Discovery) -> HttpPortal {
        HttpPortal::start_with(discovery, None)
    }

    /// A portal serving `discovery`, over TLS when `tls` is given.
    pub fn start_with(discovery: Discovery, tls: Option<Tls>) -> HttpPortal {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base = format!("{scheme}://{addr}");
        let issuer_id = IssuerId::new(&base).unwrap();
        let issuer = Arc::new(Issuer::new(
            issuer_id.clone(),
            SigningKey::generate(Algorithm::EdDSA).unwrap(),
        ));
        let client_data_path = match &discovery {
            Discovery::ClientDataAt(path) => path,
            _ => "/client-data",
        };
        let document = render_discovery(
            &issuer_id,
            &Url::parse(&format!("{base}/jwks.json")).unwrap(),
            &Url::parse(&format!("{base}{client_data_path}")).unwrap(),
            [Algorithm::EdDSA],
        );
        let plugin = plugin();
        let endpoint = ClientDataEndpoint::builder(issuer_id.clone(), issuer.jwks().clone())
            .plugins([plugin.clone()])
            .build();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::new(Shared {
            issuer_id,
            discovery: document,
            discovery_mode: discovery,
            jwks: issuer.jwks().to_jwks_json(),
            endpoint,
            requests: Arc::clone(&requests),
            tls: tls.map(server_config),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&shared);
                thread::spawn(move || connection(stream, &shared));
            }
        });
        HttpPortal {
            addr,
            issuer,
            plugin,
            requests,
            stop,
        }
    }

    /// The issuer id, `http(s)://127.0.0.1:PORT`.
    pub fn issuer(&self) -> &str {
        self.issuer.issuer_id().as_str()
    }

    /// A launch token for `subject` (role cliente) for the portal's plugin.
    pub fn mint(&self, subject: &str) -> String {
        let viewer = Viewer::new(SubjectId::new(subject).unwrap(), Role::Cliente);
        self.issuer
            .mint(&self.plugin, &viewer)
            .unwrap()
            .into_token()
    }

    /// The paths requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for HttpPortal {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

fn server_config(tls: Tls) -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&tls.cert_chain_pem)
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(&tls.key_pem).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    Arc::new(config)
}

/// Serves one connection: one request, one answer, then close.
fn connection(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    match &shared.tls {
        None => serve(stream, shared),
        Some(config) => {
            let Ok(connection) = rustls::ServerConnection::new(Arc::clone(config)) else {
                return;
            };
            serve(rustls::StreamOwned::new(connection, stream), shared);
        }
    }
}

/// Reads a request head (at most 16 KiB) and writes the answer.
fn serve<S: Read + Write>(stream: S, shared: &Shared) {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    let mut authorization = None;
    let mut read = 0;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(n) => read += n,
        }
        if read > 16 * 1024 {
            return;
        }
        if line == "\r\n" {
            break;
        }
        if request_line.is_empty() {
            request_line = line.trim_end().to_owned();
        } else if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("authorization")
        {
            authorization = Some(value.trim().to_owned());
        }
    }
    let path = request_line.split(' ').nth(1).unwrap_or("").to_owned();
    shared.requests.lock().unwrap().push(path.clone());
    let json = "application/json; charset=utf-8";
    let (status, headers, body): (u16, Vec<(String, String)>, String) = match path.as_str() {
        "/.well-known/cv-plugin" => match &shared.discovery_mode {
            Discovery::Redirect => (
                302,
                vec![("Location".into(), "/real-discovery".into())],
                String::new(),
            ),
            Discovery::Body(body) => (
                200,
                vec![("Content-Type".into(), json.into())],
                body.replace("{issuer}", shared.issuer_id.as_str()),
            ),
            _ => (
                200,
                vec![("Content-Type".into(), json.into())],
                shared.discovery.clone(),
            ),
        },
        "/real-discovery" => (200, Vec::new(), shared.discovery.clone()),
        "/jwks.json" => (
            200,
            vec![("Content-Type".into(), json.into())],
            shared.jwks.clone(),
        ),
        "/client-data" => {
            let answer =
                shared
                    .endpoint
                    .handle(authorization.as_deref(), |sub: &SubjectId, role| {
                        (sub.as_str() == KNOWN_SUBJECT).then(|| ClientData {
                            sub: sub.clone(),
                            role,
                            plugin: PLUGIN.parse().unwrap(),
                            name: Some(NAME.into()),
                            email: Some(EMAIL.into()),
                            document: None,
                            phone: None,
                            units: None,
                        })
                    });
            let headers = answer
                .headers
                .iter()
                .map(|(name, value)| ((*name).to_owned(), value.clone()))
                .collect();
            (answer.status, headers, answer.body)
        }
        "/moved" => (
            302,
            vec![("Location".into(), "/client-data".into())],
            String::new(),
        ),
        "/huge" => (
            200,
            vec![("Content-Type".into(), json.into())],
            format!(
                r#"{{"sub":"{KNOWN_SUBJECT}","pad":"{}"}}"#,
                "a".repeat(70 * 1024)
            ),
        ),
        _ => (404, Vec::new(), String::new()),
    };
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        reason(status),
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = reader.into_inner();
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body.as_bytes()))
        .and_then(|()| stream.flush());
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        _ => "Other",
    }
}

/// A throwaway CA and a certificate for `127.0.0.1` signed by it, made with the `openssl`
/// command in `dir`: `(ca_pem_path, server identity)`. `None` when openssl is not installed.
pub fn openssl_ca_and_server_cert(dir: &std::path::Path) -> Option<(std::path::PathBuf, Tls)> {
    let openssl = |args: &[&str]| {
        std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .output()
    };
    let version = openssl(&["version"]).ok()?;
    if !version.status.success() {
        return None;
    }
    let steps: [&[&str]; 4] = [
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=cvplugin test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
        &[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            "server.key",
            "-out",
            "server.pk8",
        ],
    ];
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    for step in steps {
        let out = openssl(step).unwrap();
        assert!(
            out.status.success(),
            "openssl {step:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let tls = Tls {
        cert_chain_pem: std::fs::read(dir.join("server.pem")).unwrap(),
        key_pem: std::fs::read(dir.join("server.pk8")).unwrap(),
    };
    Some((dir.join("ca.pem"), tls))
}
