//! The transport against a scripted loopback server: each test says, per path, the raw bytes
//! the server writes, and checks what the client made of them.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use super::*;
use crate::data_client::{ClientDataError, ServerCode};

/// What the scripted server does for one path.
#[derive(Clone)]
enum Script {
    /// Writes these bytes and closes the connection.
    Raw(Vec<u8>),
    /// Writes the head and then body bytes forever (until the client hangs up), counting them.
    Endless(String),
    /// Reads the request and never answers.
    Silent,
}

/// A loopback server that answers each connection from its script (one request per
/// connection) and records the requests it saw (first line and headers).
struct Scripted {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    sent: Arc<Mutex<usize>>,
}

impl Scripted {
    fn start(scripts: HashMap<&'static str, Script>) -> Scripted {
        Scripted::start_with(|_| scripts)
    }

    /// Like [`Scripted::start`], the scripts made once the address is known.
    fn start_with(scripts: impl FnOnce(SocketAddr) -> HashMap<&'static str, Script>) -> Scripted {
        Scripted::start_on("127.0.0.1:0", scripts)
    }

    /// Like [`Scripted::start_with`], listening on `bind`.
    fn start_on(
        bind: &str,
        scripts: impl FnOnce(SocketAddr) -> HashMap<&'static str, Script>,
    ) -> Scripted {
        let listener = TcpListener::bind(bind).unwrap();
        let addr = listener.local_addr().unwrap();
        let scripts = scripts(addr);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sent = Arc::new(Mutex::new(0));
        let (seen2, sent2) = (Arc::clone(&seen), Arc::clone(&sent));
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let scripts = scripts.clone();
                let (seen, sent) = (Arc::clone(&seen2), Arc::clone(&sent2));
                thread::spawn(move || serve(stream, &scripts, &seen, &sent));
            }
        });
        Scripted { addr, seen, sent }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn issuer(&self) -> IssuerId {
        IssuerId::new(format!("http://{}", self.addr)).unwrap()
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(
    stream: TcpStream,
    scripts: &HashMap<&'static str, Script>,
    seen: &Mutex<Vec<String>>,
    sent: &Mutex<usize>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    seen.lock().unwrap().push(head.clone());
    let path = head.split(' ').nth(1).unwrap_or("").to_owned();
    let mut stream = stream;
    match scripts.get(path.as_str()).cloned() {
        Some(Script::Raw(bytes)) => {
            let _ = stream.write_all(&bytes);
        }
        Some(Script::Endless(head)) => {
            if stream.write_all(head.as_bytes()).is_err() {
                return;
            }
            let chunk = [b'a'; 4096];
            // Bounded: stop after 16 MiB even if the client kept reading.
            for _ in 0..4096 {
                if stream.write_all(&chunk).is_err() {
                    return;
                }
                *sent.lock().unwrap() += chunk.len();
            }
        }
        Some(Script::Silent) => {
            let mut rest = Vec::new();
            let _ = reader.read_to_end(&mut rest);
        }
        None => {
            let _ = stream.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    }
}

fn answer(status: &str, headers: &[&str], body: &[u8]) -> Script {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for header in headers {
        out.push_str(header);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    Script::Raw(bytes)
}

fn json(body: &str) -> Script {
    answer(
        "200 OK",
        &["Content-Type: application/json"],
        body.as_bytes(),
    )
}

fn discovery_json(issuer: &str) -> String {
    format!(
        r#"{{"issuer":"{issuer}","protocol_version":1,"jwks_uri":"{issuer}/jwks.json","client_data_endpoint":"{issuer}/client-data","token_signing_alg_values_supported":["EdDSA"]}}"#
    )
}

/// The RFC 8037 example key, as a JWKS.
const JWKS: &str =
    r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;

const TOKEN: &str = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiI0ODIxMyJ9.c2VjcmV0LXNpZ25hdHVyZQ";

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

fn client() -> PortalHttp {
    PortalHttp::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// A server whose discovery document points at its own `/jwks.json` and `/client-data`,
/// which answer with `jwks` and `data`.
fn portal(jwks: Script, data: Script) -> (Scripted, IssuerId) {
    let server = Scripted::start_with(|addr| {
        HashMap::from([
            (
                "/.well-known/cv-plugin",
                json(&discovery_json(&format!("http://{addr}"))),
            ),
            ("/jwks.json", jwks),
            ("/client-data", data),
        ])
    });
    let issuer = server.issuer();
    (server, issuer)
}

fn request(issuer: &IssuerId) -> ClientDataRequest {
    ClientDataRequest::new(&format!("{}/client-data", issuer.as_str()), TOKEN).unwrap()
}

#[test]
fn discovery_jwks_and_data_round_trip() {
    let data = r#"{"sub":"48213","role":"cliente","plugin":"financeiro","name":"Maria Souza"}"#;
    let (server, issuer) = portal(json(JWKS), json(data));
    let http = client();
    let discovery = block_on(http.discovery(&issuer)).unwrap();
    assert_eq!(discovery.issuer, issuer);
    let keys = block_on(http.key_set(&discovery)).unwrap();
    assert!(
        keys.get("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
            .is_some()
    );
    let got = block_on(http.client_data(&request(&issuer))).unwrap();
    assert_eq!(got.name.as_deref(), Some("Maria Souza"));
    // The redemption carried the token as a bearer credential, and asked for JSON.
    let requests = server.requests();
    let redeem = requests
        .iter()
        .find(|r| r.starts_with("GET /client-data "))
        .unwrap()
        .to_ascii_lowercase();
    assert!(redeem.contains(&format!(
        "authorization: bearer {}",
        TOKEN.to_ascii_lowercase()
    )));
    assert!(redeem.contains("accept: application/json"));
    assert!(redeem.contains("user-agent: cv-portal-plugin/"));
}

#[test]
fn redirects_are_answers_never_followed() {
    let moved = |to: &str| answer("302 Found", &[&format!("Location: {to}")], b"");
    let target = Scripted::start(HashMap::from([("/elsewhere", json(JWKS))]));
    let (server, issuer) = portal(
        moved(&target.url("/elsewhere")),
        moved(&target.url("/elsewhere")),
    );
    let http = client();
    let discovery = block_on(http.discovery(&issuer)).unwrap();
    let error = block_on(http.key_set(&discovery)).unwrap_err();
    assert_eq!(error.code(), "http_status");
    assert_eq!(error.fetch_error(), Some(FetchError::HttpStatus(302)));
    let error = block_on(http.client_data(&request(&issuer))).unwrap_err();
    assert_eq!(
        error,
        HttpError::ClientData(ClientDataError::UnexpectedStatus { status: 302 })
    );
    assert!(target.requests().is_empty(), "a redirect was followed");
    drop(server);

    // A redirected discovery document is refused by its status.
    let target_doc = Scripted::start(HashMap::new());
    let redirecting = Scripted::start(HashMap::from([(
        "/.well-known/cv-plugin",
        moved(&target_doc.url("/.well-known/cv-plugin")),
    )]));
    let error = block_on(client().discovery(&redirecting.issuer())).unwrap_err();
    assert_eq!(error.code(), "discovery_http_status");
    assert!(target_doc.requests().is_empty());
}

#[test]
fn bodies_stop_at_the_limit() {
    // Exactly the limit is read; one byte more is refused, by Content-Length or by counting.
    let pad = |len: usize| {
        let mut body =
            String::from(r#"{"sub":"48213","role":"cliente","plugin":"financeiro","x":""#);
        body.push_str(&"a".repeat(len - body.len() - 2));
        body.push_str("\"}");
        assert_eq!(body.len(), len);
        body
    };
    let (_server, issuer) = portal(json(JWKS), json(&pad(MAX_BODY_LEN)));
    assert!(block_on(client().client_data(&request(&issuer))).is_ok());

    let (_server, issuer) = portal(json(JWKS), json(&pad(MAX_BODY_LEN + 1)));
    let error = block_on(client().client_data(&request(&issuer))).unwrap_err();
    assert_eq!(error.code(), "response_too_large");

    // No Content-Length (the body ends at the close): counted, and reading stops.
    let endless = Script::Endless(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n".into(),
    );
    let (server, issuer) = portal(endless.clone(), endless);
    let http = client();
    let discovery = block_on(http.discovery(&issuer)).unwrap();
    let error = block_on(http.key_set(&discovery)).unwrap_err();
    assert_eq!(error.code(), "response_too_large");
    let error = block_on(http.client_data(&request(&issuer))).unwrap_err();
    assert_eq!(
        (error.code(), error.fetch_error()),
        ("response_too_large", Some(FetchError::TooLarge))
    );
    // The server got far less than its 16 MiB out before the client hung up (socket buffers
    // take some; the client itself kept at most the limit and a byte).
    let sent = *server.sent.lock().unwrap();
    assert!(sent < 8 << 20, "the server wrote {sent} bytes");

    // A large refusal is still read by its status: a 503 means "retry".
    let big_503 = answer(
        "503 Service Unavailable",
        &["Retry-After: 5"],
        &vec![b' '; MAX_BODY_LEN + 10],
    );
    let (_server, issuer) = portal(json(JWKS), big_503);
    let error = block_on(client().client_data(&request(&issuer))).unwrap_err();
    assert_eq!(error.code(), "data_portal_unavailable");

    // ... and a large 401 by its status and its Bearer challenge.
    let big_401 = answer(
        "401 Unauthorized",
        &[
            r#"WWW-Authenticate: Bearer realm="cv-plugin", error="invalid_token", error_description="expired""#,
        ],
        &vec![b' '; MAX_BODY_LEN + 10],
    );
    let (_server, issuer) = portal(json(JWKS), big_401);
    let error = block_on(client().client_data(&request(&issuer))).unwrap_err();
    assert_eq!(error.server_code(), Some("expired"));

    // A discovery document over the limit.
    let huge = Scripted::start(HashMap::from([(
        "/.well-known/cv-plugin",
        answer("200 OK", &[], &vec![b' '; MAX_BODY_LEN + 1]),
    )]));
    let error = block_on(client().discovery(&huge.issuer())).unwrap_err();
    assert_eq!(error.code(), "response_too_large");
}

#[test]
fn refusals_keep_the_portal_code_and_never_the_token() {
    let refused = answer(
        "401 Unauthorized",
        &[
            r#"WWW-Authenticate: Bearer realm="cv-plugin", error="invalid_token", error_description="replayed""#,
        ],
        br#"{"error":"replayed","error_description":"the token was already redeemed"}"#,
    );
    let (_server, issuer) = portal(json(JWKS), refused);
    let error = block_on(client().client_data(&request(&issuer))).unwrap_err();
    assert_eq!(error.code(), "data_token_refused");
    assert_eq!(error.server_code(), Some("replayed"));
    assert_eq!(
        error,
        HttpError::ClientData(ClientDataError::TokenRefused {
            code: ServerCode::new("replayed")
        })
    );
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("c2VjcmV0"), "{shown}");
}

#[test]
fn the_jwks_is_checked() {
    let (_server, issuer) = portal(answer("404 Not Found", &[], b""), json("{}"));
    let http = client();
    let discovery = block_on(http.discovery(&issuer)).unwrap();
    let error = block_on(http.key_set(&discovery)).unwrap_err();
    assert_eq!(error.fetch_error(), Some(FetchError::HttpStatus(404)));

    for (body, code) in [
        (&b"<html>login</html>"[..], "invalid_json"),
        (&b"\xff\xfe"[..], "invalid_json"),
        (&br#"{"keys":[]}"#[..], "empty_key_set"),
    ] {
        let (_server, issuer) = portal(answer("200 OK", &[], body), json("{}"));
        let discovery = block_on(http.discovery(&issuer)).unwrap();
        let error = block_on(http.key_set(&discovery)).unwrap_err();
        assert_eq!(error.code(), code, "{body:?}");
        assert!(matches!(error, HttpError::Jwks(_)));
    }

    // A document built by hand with a plain-http URL elsewhere is refused before any request.
    let mut forged = discovery.clone();
    forged.jwks_uri = "http://portal.example/jwks.json".into();
    let error = block_on(http.key_set(&forged)).unwrap_err();
    assert_eq!(error.code(), "data_url_not_https");
}

#[test]
fn discovery_is_checked_for_the_configured_issuer() {
    // The document names another issuer (here: the same host, with a trailing slash).
    let wrong = Scripted::start_with(|addr| {
        HashMap::from([(
            "/.well-known/cv-plugin",
            json(&discovery_json(&format!("http://{addr}/"))),
        )])
    });
    let error = block_on(client().discovery(&wrong.issuer())).unwrap_err();
    assert_eq!(error.code(), "discovery_issuer_mismatch");

    // The issuer itself must be https (or loopback http): nothing is sent otherwise.
    let error =
        block_on(client().discovery(&IssuerId::new("http://portal.example").unwrap())).unwrap_err();
    assert_eq!(error.code(), "data_url_not_https");
}

#[test]
fn transport_failures_are_classified() {
    // Nothing listens: connection refused.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let issuer = IssuerId::new(format!("http://{addr}")).unwrap();
    let error = block_on(client().discovery(&issuer)).unwrap_err();
    assert_eq!(error.code(), "connection_refused");
    assert_eq!(error.fetch_error(), Some(FetchError::ConnectionRefused));

    // An answer that never comes: the total timeout.
    let silent = Scripted::start(HashMap::from([("/.well-known/cv-plugin", Script::Silent)]));
    let http = PortalHttp::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let error = block_on(http.discovery(&silent.issuer())).unwrap_err();
    assert_eq!(error.code(), "timeout");

    // Not HTTP at all.
    let garbage = Scripted::start(HashMap::from([(
        "/.well-known/cv-plugin",
        Script::Raw(b"SSH-2.0-OpenSSH_9.2\r\n".to_vec()),
    )]));
    let error = block_on(client().discovery(&garbage.issuer())).unwrap_err();
    assert_eq!(error.code(), "transport_failure");
    assert!(matches!(
        &error,
        HttpError::Transport {
            resource: Resource::Discovery,
            detail: Some(_),
            ..
        }
    ));

    // TLS to a server that speaks plain HTTP: the handshake fails.
    let plain = Scripted::start(HashMap::new());
    let https = IssuerId::new(format!("https://{}", plain.addr)).unwrap();
    let error = block_on(client().discovery(&https)).unwrap_err();
    assert_eq!(error.code(), "tls_failure", "{error:?}");
}

#[test]
fn loopback_rules_for_hand_built_urls() {
    for ok in [
        "https://portal.example/x",
        "HTTPS://portal.example",
        "http://localhost:8080/x",
        "http://127.0.0.2/x",
        "http://[::1]:80/x",
    ] {
        assert_eq!(check_scheme(ok, UrlRole::JwksUri), Ok(()), "{ok}");
    }
    for bad in [
        "http://portal.example/x",
        "http://localhost.evil.example/",
        "http://[::2]/",
        "ftp://127.0.0.1/",
        "127.0.0.1/x",
        "",
    ] {
        assert_eq!(
            check_scheme(bad, UrlRole::JwksUri).unwrap_err().code(),
            "data_url_not_https",
            "{bad}"
        );
    }
}

#[test]
fn debug_shows_settings_not_secrets() {
    let builder = PortalHttp::builder().connect_timeout(Duration::from_secs(2));
    assert!(format!("{builder:?}").contains("connect_timeout: 2s"));
    let http = builder.build().unwrap();
    assert!(format!("{http:?}").starts_with("PortalHttp { connect_timeout: 2s"));
}

#[test]
fn fetch_keys_reads_max_age_for_the_key_source() {
    let kid = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
    let (_server, issuer) = portal(
        answer(
            "200 OK",
            &["Cache-Control: public, max-age=120"],
            JWKS.as_bytes(),
        ),
        json("{}"),
    );
    let http = client();
    let (keys, max_age) = block_on(http.fetch_keys(&issuer)).unwrap();
    assert!(keys.get(kid).is_some());
    assert_eq!(max_age, Some(Duration::from_secs(120)));
    // Straight into a key source, as its driver does.
    let source = crate::keys::KeySource::new();
    block_on(source.refresh_with(http.fetch_keys(&issuer))).unwrap();
    assert!(source.current().unwrap().get(kid).is_some());

    // No Cache-Control: no max-age (the source uses its default).
    let (_server, issuer) = portal(json(JWKS), json("{}"));
    assert_eq!(block_on(http.fetch_keys(&issuer)).unwrap().1, None);

    // Failures in the key source's vocabulary: a JWKS status, a broken JWKS, a discovery status.
    let (_server, issuer) = portal(answer("503 Service Unavailable", &[], b""), json("{}"));
    let failure = block_on(http.fetch_keys(&issuer)).unwrap_err();
    assert_eq!(failure, KeysFailure::Fetch(FetchError::HttpStatus(503)));
    let (_server, issuer) = portal(json(r#"{"keys":[]}"#), json("{}"));
    assert_eq!(
        block_on(http.fetch_keys(&issuer)).unwrap_err().kind(),
        "empty_key_set"
    );
    let server = Scripted::start(HashMap::new());
    let failure = block_on(http.fetch_keys(&server.issuer())).unwrap_err();
    assert_eq!(failure, KeysFailure::Fetch(FetchError::HttpStatus(404)));
    // A discovery document of another portal is refused as such, not as a transport failure.
    let server = Scripted::start(HashMap::from([(
        "/.well-known/cv-plugin",
        json(&discovery_json("https://portal.outra.com.br")),
    )]));
    let failure = block_on(http.fetch_keys(&server.issuer())).unwrap_err();
    assert_eq!(
        failure,
        KeysFailure::InvalidDiscovery {
            code: "discovery_issuer_mismatch"
        }
    );
    assert_eq!(failure.kind(), "invalid_discovery");
}

#[test]
fn resolve_sends_a_host_name_to_the_given_address() {
    // A portal whose URLs name `localhost`, listening on 127.0.0.2 only: the system's resolver
    // (127.0.0.1 or ::1) finds nobody on that port; the override reaches it, under its name.
    let server = Scripted::start_on("127.0.0.2:0", |addr| {
        let issuer = format!("http://localhost:{}", addr.port());
        HashMap::from([("/.well-known/cv-plugin", json(&discovery_json(&issuer)))])
    });
    let port = server.addr.port();
    let issuer = IssuerId::new(format!("http://localhost:{port}")).unwrap();

    let refused = block_on(client().discovery(&issuer)).unwrap_err();
    assert_eq!(
        refused.fetch_error(),
        Some(FetchError::ConnectionRefused),
        "{refused}"
    );
    assert!(server.requests().is_empty());

    let http = PortalHttp::builder()
        .resolve("LocalHost", SocketAddr::from(([127, 0, 0, 1], 0)))
        // The last address given for a host wins (any case).
        .resolve("localhost", SocketAddr::from(([127, 0, 0, 2], 0)))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let discovery = block_on(http.discovery(&issuer)).unwrap();
    assert_eq!(discovery.issuer, issuer);
    let seen = server.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0]
            .to_ascii_lowercase()
            .contains(&format!("\r\nhost: localhost:{port}\r\n")),
        "the Host header still names the portal: {seen:?}"
    );
    assert!(format!("{http:?}").contains("PortalHttp"));
}
