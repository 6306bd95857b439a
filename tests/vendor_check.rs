//! `cvplugin vendor-check` (issue 15) against vendors served in this process: a strict one built
//! on the crate's `PortalRegistry`, fetching the played portal's discovery document and keys and
//! redeeming client data over HTTP; and lax ones, each a realistic instance of one weakness (no
//! `aud` check; `alg` taken from the header with the public key as the HMAC secret, as php-jwt < 6
//! does with a PEM; `alg: none` read as "no signature"; the key chosen by `alg`, not `kid`; a
//! 30-minute leeway; no single use; no `typ` check; no `frame-ancestors`), each of which must fail
//! exactly the cases that name its weakness. The real binary is run. The played portal publishes
//! an EdDSA and an ES256 key (`--key` twice), and every vendor knows both.

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cv_portal_plugin::keys::KeySource;
use cv_portal_plugin::{
    Algorithm, ClientDataRequest, FixedClock, InMemoryReplayGuard, IssuerId, KeySet, LaunchClaims,
    PluginId, Portal, PortalHttp, PortalOrigin, PortalRegistry, PublicKey, SigningKey, Verifier,
    page_headers,
};
use serde_json::Value;

const PLUGIN: &str = "financeiro";
const TYP: &str = "cv-plugin-launch+jwt";

/// The form in which a vendor that takes `alg` from the header holds the portal's public key, and
/// so uses it as the HMAC secret of an `HS*` token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyForm {
    /// The SPKI PEM as a file holds it, final newline included (php-jwt < 6 with
    /// `file_get_contents('portal.pem')`, node-jsonwebtoken < 9 with `fs.readFileSync`).
    Pem,
    /// The PEM without its final newline (an environment variable, a trimmed config value).
    PemWithoutNewline,
    /// The DER SPKI (Java's `PublicKey.getEncoded()` handed to an HMAC key).
    Der,
    /// The raw key bytes (Go's `ed25519.PublicKey` or the P-256 point, as `[]byte`).
    Raw,
    /// The public JWK text.
    Jwk,
    /// The JWKS document as fetched.
    Jwks,
}

/// The weakness of a test vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Weakness {
    /// None: every check of PROTOCOL.md §6, single use, the page headers, client data once.
    Strict,
    /// Accepts a token for another plugin.
    NoAudCheck,
    /// Verifies with the algorithm the header names, like php-jwt < 6 called with every algorithm
    /// allowed: `HS256`/`HS384`/`HS512` as an HMAC keyed with the public key in this form;
    /// `EdDSA`/`ES256` properly; `none` (any case) refused as unsupported, as php-jwt does.
    AlgFromHeader(KeyForm),
    /// The classic `alg: none` bug: a header naming `none` (exactly) means "no signature to check".
    AcceptsNone,
    /// Chooses the verification key by the header's `alg` among the published keys and never
    /// looks at `kid` (so no alg-to-key check either).
    KeyByAlg,
    /// Checks `iat`, `nbf` and `exp` with a 30-minute leeway ("raise the leeway to fix clock
    /// problems") instead of at most 5 minutes.
    Leeway30Minutes,
    /// Accepts the same token twice.
    NoSingleUse,
    /// Does not look at `typ`.
    NoTypCheck,
    /// Sends no Content-Security-Policy.
    NoFrameAncestors,
}

/// A vendor's state.
struct Vendor {
    weakness: Weakness,
    issuer: IssuerId,
    keys: KeySet,
    /// The portal's signing key of the plugin's algorithm: a lax vendor that accepted a token's
    /// signature its own way re-signs the claims under the right header, to reuse the library for
    /// every other check.
    key: Arc<SigningKey>,
    guard: Arc<InMemoryReplayGuard>,
    /// The strict vendor's registry and HTTP client (discovery, keys, client data).
    strict: Option<(PortalRegistry, PortalHttp)>,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn decode_json(segment: &str) -> Option<Value> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).ok()?).ok()
}

fn sign(key: &SigningKey, message: &[u8]) -> Vec<u8> {
    let der = key.to_pkcs8_der();
    let rng = ring::rand::SystemRandom::new();
    match key.algorithm() {
        Algorithm::ES256 => ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &der,
            &rng,
        )
        .unwrap()
        .sign(&rng, message)
        .unwrap()
        .as_ref()
        .to_vec(),
        _ => ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .unwrap()
            .sign(message)
            .as_ref()
            .to_vec(),
    }
}

impl Vendor {
    fn verifier(&self, plugin: &str, single_use: bool) -> Option<Verifier> {
        let builder = Verifier::builder(self.issuer.clone(), PluginId::new(plugin).ok()?)
            .key_set(self.keys.clone());
        let builder = if single_use {
            builder.replay_guard(self.guard.clone())
        } else {
            builder.dangerous_disable_replay_guard()
        };
        builder.build().ok()
    }

    /// Verifies as this vendor does; `Err` is the refusal's code.
    async fn verify(&self, token: &str) -> Result<(LaunchClaims, Option<String>), String> {
        let strict = |plugin: &str| {
            self.verifier(plugin, true)
                .ok_or("setup")?
                .verify(token)
                .map_err(|e| e.code().to_owned())
        };
        let parts: Vec<&str> = token.split('.').collect();
        match self.weakness {
            Weakness::Strict => {
                let (registry, http) = self.strict.as_ref().ok_or("setup")?;
                let launch = registry.verify(token).map_err(|e| e.code().to_owned())?;
                let claims = launch.into_claims();
                let discovery = http
                    .discovery(&self.issuer)
                    .await
                    .map_err(|e| e.code().to_owned())?;
                let request = ClientDataRequest::for_launch(&discovery, &claims, token)
                    .map_err(|e| e.code().to_owned())?;
                let data = http
                    .client_data_for(&request, &claims)
                    .await
                    .map_err(|e| e.code().to_owned())?;
                Ok((claims, data.name))
            }
            Weakness::NoAudCheck => {
                let aud = parts
                    .get(1)
                    .and_then(|p| decode_json(p))
                    .and_then(|c| c["aud"].as_str().map(str::to_owned));
                let plugin = aud.filter(|a| PluginId::new(a).is_ok());
                strict(plugin.as_deref().unwrap_or(PLUGIN)).map(|c| (c, None))
            }
            Weakness::NoSingleUse => self
                .verifier(PLUGIN, false)
                .ok_or("setup")?
                .verify(token)
                .map(|c| (c, None))
                .map_err(|e| e.code().to_owned()),
            Weakness::AlgFromHeader(form) => {
                let header = parts.first().and_then(|p| decode_json(p));
                let alg = header.as_ref().and_then(|h| h["alg"].as_str());
                let hmac = match alg {
                    Some("HS256") => ring::hmac::HMAC_SHA256,
                    Some("HS384") => ring::hmac::HMAC_SHA384,
                    Some("HS512") => ring::hmac::HMAC_SHA512,
                    _ => return strict(PLUGIN).map(|c| (c, None)),
                };
                let secret = secret_of(&self.key.public_key(), &self.keys, form);
                let mac = parts
                    .get(2)
                    .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
                    .unwrap_or_default();
                let input = parts.get(..2).map(|p| p.join(".")).unwrap_or_default();
                ring::hmac::verify(&ring::hmac::Key::new(hmac, &secret), input.as_bytes(), &mac)
                    .map_err(|_| "bad_signature".to_owned())?;
                // Signature "verified": every other check as the library does it.
                strict_token(self, &resign(&self.key, parts[1], None))
            }
            Weakness::AcceptsNone => {
                let header = parts.first().and_then(|p| decode_json(p));
                if header.as_ref().and_then(|h| h["alg"].as_str()) == Some("none") {
                    return strict_token(self, &resign(&self.key, parts[1], None));
                }
                strict(PLUGIN).map(|c| (c, None))
            }
            Weakness::KeyByAlg => {
                let raw = parts
                    .first()
                    .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
                    .unwrap_or_default();
                let header = parts.first().and_then(|p| decode_json(p));
                let plain = header.as_ref().and_then(Value::as_object).is_some_and(|h| {
                    h.keys()
                        .all(|k| ["alg", "typ", "kid"].contains(&k.as_str()))
                        && h.get("typ").and_then(Value::as_str) == Some(TYP)
                        && ["\"alg\"", "\"typ\"", "\"kid\""]
                            .iter()
                            .all(|m| String::from_utf8_lossy(&raw).matches(m).count() <= 1)
                });
                let alg = header.as_ref().and_then(|h| h["alg"].as_str());
                let key = self
                    .keys
                    .iter()
                    .find(|k| Some(k.algorithm().as_str()) == alg);
                match (plain, key) {
                    (true, Some(key)) if parts.len() == 3 => {
                        check_signature(key, parts[0], parts[1], parts[2])?;
                        strict_token(self, &resign(&self.key, parts[1], None))
                    }
                    _ => strict(PLUGIN).map(|c| (c, None)),
                }
            }
            Weakness::Leeway30Minutes => {
                // The library allows 5 minutes at most; a 30-minute leeway is the library's
                // 5 minutes at a clock moved by up to 25 minutes either way, as the times need.
                let claims = parts.get(1).and_then(|p| decode_json(p));
                let time = |name: &str| claims.as_ref().and_then(|c| c[name].as_i64());
                let now = unix_now();
                let latest = time("iat").max(time("nbf")).unwrap_or(now);
                let at = (latest - 300).clamp(now - 1500, now + 1500);
                Verifier::builder(self.issuer.clone(), PluginId::new(PLUGIN).unwrap())
                    .key_set(self.keys.clone())
                    .dangerous_extended_leeway(Duration::from_secs(300))
                    .clock(Arc::new(FixedClock::new(at)))
                    .replay_guard(self.guard.clone())
                    .build()
                    .map_err(|_| "setup".to_owned())?
                    .verify(token)
                    .map(|c| (c, None))
                    .map_err(|e| e.code().to_owned())
            }
            Weakness::NoTypCheck => {
                let header = parts.first().and_then(|p| decode_json(p));
                let raw = parts
                    .first()
                    .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                let retypable = header.as_ref().and_then(Value::as_object).is_some_and(|h| {
                    h.keys()
                        .all(|k| ["alg", "typ", "kid"].contains(&k.as_str()))
                        && h.get("typ").and_then(Value::as_str) != Some(TYP)
                        && ["\"alg\"", "\"typ\"", "\"kid\""]
                            .iter()
                            .all(|m| raw.matches(m).count() <= 1)
                });
                if retypable && parts.len() == 3 {
                    // Check the signature as sent, then hand the library the same claims under
                    // the right `typ`.
                    let kid = header
                        .as_ref()
                        .and_then(|h| h["kid"].as_str())
                        .unwrap_or("");
                    let key = self.keys.get(kid).ok_or("unknown_kid")?;
                    if Some(key.algorithm().as_str())
                        != header.as_ref().and_then(|h| h["alg"].as_str())
                    {
                        return Err("alg_mismatch".to_owned());
                    }
                    check_signature(key, parts[0], parts[1], parts[2])?;
                    return strict_token(self, &resign(&self.key, parts[1], None));
                }
                strict(PLUGIN).map(|c| (c, None))
            }
            Weakness::NoFrameAncestors => strict(PLUGIN).map(|c| (c, None)),
        }
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Checks the JWS signature of `header.claims` with `key` (64 bytes for both algorithms).
fn check_signature(
    key: &PublicKey,
    header: &str,
    claims: &str,
    signature: &str,
) -> Result<(), String> {
    let alg = match key.algorithm() {
        Algorithm::ES256 => {
            &ring::signature::ECDSA_P256_SHA256_FIXED as &dyn ring::signature::VerificationAlgorithm
        }
        _ => &ring::signature::ED25519,
    };
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap_or_default();
    ring::signature::UnparsedPublicKey::new(alg, key.as_bytes())
        .verify(format!("{header}.{claims}").as_bytes(), &signature)
        .map_err(|_| "bad_signature".to_owned())
}

/// The public key `key` in `form`, written here independently of the checker.
fn secret_of(key: &PublicKey, keys: &KeySet, form: KeyForm) -> Vec<u8> {
    let prefix = match key.algorithm() {
        Algorithm::ES256 => "3059301306072a8648ce3d020106082a8648ce3d030107034200",
        _ => "302a300506032b6570032100",
    };
    let mut der: Vec<u8> = (0..prefix.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&prefix[i..i + 2], 16).unwrap())
        .collect();
    der.extend_from_slice(key.as_bytes());
    let body = base64::engine::general_purpose::STANDARD.encode(&der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    );
    match form {
        KeyForm::Pem => pem.into_bytes(),
        KeyForm::PemWithoutNewline => pem.trim_end().as_bytes().to_vec(),
        KeyForm::Der => der,
        KeyForm::Raw => key.as_bytes().to_vec(),
        KeyForm::Jwk => key.to_jwk().into_bytes(),
        KeyForm::Jwks => keys.to_jwks_json().into_bytes(),
    }
}

fn strict_token(vendor: &Vendor, token: &str) -> Result<(LaunchClaims, Option<String>), String> {
    vendor
        .verifier(PLUGIN, true)
        .ok_or("setup")?
        .verify(token)
        .map(|c| (c, None))
        .map_err(|e| e.code().to_owned())
}

/// The claims segment `claims` under the protocol's header, signed by `key`.
fn resign(key: &SigningKey, claims: &str, typ: Option<&str>) -> String {
    let header = format!(
        r#"{{"alg":"{}","typ":"{}","kid":"{}"}}"#,
        key.algorithm().as_str(),
        typ.unwrap_or(TYP),
        key.kid()
    );
    let input = format!("{}.{claims}", b64(header.as_bytes()));
    let signature = sign(key, input.as_bytes());
    format!("{input}.{}", b64(&signature))
}

/// The launch handler of every test vendor: the token from `?token=` or the form body.
async fn launch(
    State(vendor): State<Arc<Vendor>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let source = if method == Method::POST {
        body.to_vec()
    } else {
        uri.query().unwrap_or("").as_bytes().to_vec()
    };
    let token = url::form_urlencoded::parse(&source)
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned());
    let refuse = |code: &str| {
        (
            StatusCode::UNAUTHORIZED,
            [("cache-control", "no-store")],
            format!("refused: {code}"),
        )
            .into_response()
    };
    let Some(token) = token else {
        return refuse("missing_token");
    };
    match vendor.verify(&token).await {
        Err(code) => refuse(&code),
        Ok((claims, name)) => {
            let mut page = Response::new(
                format!(
                    "<!doctype html><p>olá {} {}</p>",
                    claims.subject().as_str(),
                    name.unwrap_or_default()
                )
                .into(),
            );
            let origin = PortalOrigin::from_issuer(&vendor.issuer).unwrap();
            for (name, value) in page_headers(&[origin]) {
                if name == "Content-Security-Policy"
                    && vendor.weakness == Weakness::NoFrameAncestors
                {
                    continue;
                }
                page.headers_mut()
                    .insert(name, HeaderValue::from_str(&value).unwrap());
            }
            page
        }
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A test's portal keys (the plugin's algorithm first, then the other one), written where
/// `--key` reads them, and its issuer at a free port.
struct Setup {
    dir: PathBuf,
    key_files: [PathBuf; 2],
    key: Arc<SigningKey>,
    other_key: SigningKey,
    portal_port: u16,
    issuer: IssuerId,
}

fn setup(name: &str, alg: Algorithm) -> Setup {
    let dir = std::env::temp_dir().join(format!(
        "cvplugin-vendor-check-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key = SigningKey::generate(alg).unwrap();
    let other_alg = match alg {
        Algorithm::ES256 => Algorithm::EdDSA,
        _ => Algorithm::ES256,
    };
    let other_key = SigningKey::generate(other_alg).unwrap();
    let key_files = [dir.join("portal.jwk"), dir.join("portal-other.jwk")];
    std::fs::write(&key_files[0], key.to_jwk()).unwrap();
    std::fs::write(&key_files[1], other_key.to_jwk()).unwrap();
    let portal_port = free_port();
    let issuer = IssuerId::new(format!("http://127.0.0.1:{portal_port}")).unwrap();
    Setup {
        dir,
        key_files,
        key: Arc::new(key),
        other_key,
        portal_port,
        issuer,
    }
}

/// Starts a vendor with `weakness` on `port` (0: any) on `runtime`; returns its launch URL.
fn start_vendor(
    runtime: &tokio::runtime::Runtime,
    setup: &Setup,
    weakness: Weakness,
    port: u16,
) -> String {
    let strict = (weakness == Weakness::Strict).then(|| {
        // The registry's keys come from the played portal over HTTP, as a real vendor's would.
        let http = PortalHttp::builder().build().unwrap();
        let source = Arc::new(KeySource::builder().build());
        runtime
            .block_on(source.refresh_with(http.fetch_keys(&setup.issuer)))
            .expect("the played portal serves discovery and the JWKS");
        let registry = PortalRegistry::new(Arc::new(InMemoryReplayGuard::new()));
        registry
            .insert(Portal::new(setup.issuer.clone(), source).plugin(PLUGIN.parse().unwrap()))
            .unwrap();
        (registry, http)
    });
    let vendor = Arc::new(Vendor {
        weakness,
        issuer: setup.issuer.clone(),
        // What the played portal publishes.
        keys: KeySet::new([setup.key.public_key(), setup.other_key.public_key()]).unwrap(),
        key: Arc::clone(&setup.key),
        guard: Arc::new(InMemoryReplayGuard::new()),
        strict,
    });
    let app = Router::new()
        .route("/cv/launch", get(launch).post(launch))
        .with_state(vendor);
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(("127.0.0.1", port)))
        .unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    runtime.spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/cv/launch?empresa=7")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn checker(setup: &Setup, launch_url: &str, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cvplugin"));
    command.args([
        "vendor-check",
        "--launch-url",
        launch_url,
        "--issuer",
        setup.issuer.as_str(),
        "--plugin",
        PLUGIN,
        "--portal-addr",
        &format!("127.0.0.1:{}", setup.portal_port),
        "--key",
    ]);
    command.arg(&setup.key_files[0]).arg("--key");
    command.arg(&setup.key_files[1]).args(extra);
    command
}

/// The report of a `--json` run: the failed case names, and (passed, failed).
fn report(output: &Output) -> (BTreeSet<String>, usize, usize) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let cases = json["cases"].as_array().unwrap();
    for case in cases {
        assert!(
            case["name"].is_string() && case["expected"].is_string() && case["got"].is_string()
        );
    }
    let failed = cases
        .iter()
        .filter(|c| c["pass"] == false && c["informational"] == false)
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    let (passed, failed_count) = (
        json["passed"].as_u64().unwrap() as usize,
        json["failed"].as_u64().unwrap() as usize,
    );
    let informational = cases.iter().filter(|c| c["informational"] == true);
    assert_eq!(passed + failed_count + informational.count(), cases.len());
    (failed, passed, failed_count)
}

/// No token of any kind in the output: every JWS header segment of the checker starts `eyJ`.
fn assert_no_token(output: &Output) {
    for stream in [&output.stdout, &output.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(!text.contains("eyJ"), "a token in the output: {text}");
    }
}

fn both(cases: &[&str]) -> BTreeSet<String> {
    cases
        .iter()
        .flat_map(|c| [format!("{c}_query"), format!("{c}_form")])
        .collect()
}

/// Runs the checker against a lax vendor and asserts exactly `expected` fail.
fn lax(name: &str, weakness: Weakness, expected: &[&str]) {
    lax_with(name, Algorithm::EdDSA, weakness, expected);
}

fn lax_with(name: &str, alg: Algorithm, weakness: Weakness, expected: &[&str]) {
    let setup = setup(name, alg);
    let runtime = runtime();
    let url = start_vendor(&runtime, &setup, weakness, 0);
    let output = checker(&setup, &url, &["--json"]).output().unwrap();
    assert_no_token(&output);
    let (failed, passed, failed_count) = report(&output);
    assert_eq!(failed, both(expected), "{weakness:?}");
    assert_eq!(failed_count, expected.len() * 2);
    assert!(passed > 80, "{passed}");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("error[vendor_check_failed]: {failed_count} of ")),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&setup.dir);
}

#[test]
fn a_vendor_without_an_aud_check_fails_wrong_audience() {
    lax("aud", Weakness::NoAudCheck, &["wrong_audience"]);
}

/// php-jwt < 6 and node-jsonwebtoken < 9 handed the PEM file: the checker's PEM case catches it.
#[test]
fn a_vendor_taking_alg_from_the_header_with_the_pem_fails_hs256_keyed_with_the_pem() {
    lax(
        "alg-pem",
        Weakness::AlgFromHeader(KeyForm::Pem),
        &["hs256_keyed_with_the_pem"],
    );
    lax_with(
        "alg-pem-es256",
        Algorithm::ES256,
        Weakness::AlgFromHeader(KeyForm::Pem),
        &["hs256_keyed_with_the_pem"],
    );
}

/// Every other form in which such a vendor may hold the public key has its case too.
#[test]
fn a_vendor_taking_alg_from_the_header_fails_the_hs256_case_of_its_key_form() {
    for (form, case) in [
        (
            KeyForm::PemWithoutNewline,
            "hs256_keyed_with_the_pem_without_newline",
        ),
        (KeyForm::Der, "hs256_keyed_with_the_der"),
        (KeyForm::Raw, "hs256_keyed_with_the_public_key"),
        (KeyForm::Jwk, "hs256_keyed_with_the_jwk"),
        (KeyForm::Jwks, "hs256_keyed_with_the_jwks"),
    ] {
        lax(
            &format!("alg-{case}"),
            Weakness::AlgFromHeader(form),
            &[case],
        );
    }
    // The uncompressed P-256 point.
    lax_with(
        "alg-raw-es256",
        Algorithm::ES256,
        Weakness::AlgFromHeader(KeyForm::Raw),
        &["hs256_keyed_with_the_public_key"],
    );
}

#[test]
fn a_vendor_reading_alg_none_as_no_signature_fails_alg_none() {
    lax("none", Weakness::AcceptsNone, &["alg_none"]);
}

#[test]
fn a_vendor_choosing_the_key_by_alg_fails_alg_mismatch_and_kid_missing() {
    lax(
        "keybyalg",
        Weakness::KeyByAlg,
        &["alg_mismatch", "kid_missing"],
    );
}

#[test]
fn a_vendor_with_a_30_minute_leeway_fails_the_time_cases() {
    lax(
        "leeway",
        Weakness::Leeway30Minutes,
        &["expired", "not_yet_valid", "issued_in_future"],
    );
}

#[test]
fn a_vendor_without_single_use_fails_replay() {
    lax("replay", Weakness::NoSingleUse, &["replay"]);
}

#[test]
fn a_vendor_without_a_typ_check_fails_the_typ_cases() {
    lax(
        "typ",
        Weakness::NoTypCheck,
        &["typ_missing", "typ_jwt", "typ_with_media_type_prefix"],
    );
}

#[test]
fn a_vendor_without_frame_ancestors_fails_frame_ancestors_in_text_output() {
    let setup = setup("csp", Algorithm::EdDSA);
    let runtime = runtime();
    let url = start_vendor(&runtime, &setup, Weakness::NoFrameAncestors, 0);
    let output = checker(&setup, &url, &[]).output().unwrap();
    assert_no_token(&output);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let fails: Vec<&&str> = lines.iter().filter(|l| l.starts_with("FAIL ")).collect();
    assert_eq!(fails.len(), 2, "{stdout}");
    assert!(fails[0].starts_with(
        "FAIL frame_ancestors_query: expected Content-Security-Policy frame-ancestors naming http://127.0.0.1:"
    ));
    assert!(
        fails[0].ends_with("got no Content-Security-Policy"),
        "{}",
        fails[0]
    );
    assert!(fails[1].starts_with("FAIL frame_ancestors_form: "));
    let passes = lines.iter().filter(|l| l.starts_with("PASS ")).count();
    assert_eq!(
        lines.last(),
        Some(&format!("{passes} passed, 2 failed").as_str())
    );
    // The informational case, once per delivery, not counted: this vendor accepts both
    // algorithms (the library's default), so it accepted the other algorithm's token.
    let info: Vec<&&str> = lines.iter().filter(|l| l.starts_with("INFO ")).collect();
    assert_eq!(info.len(), 2, "{stdout}");
    assert!(info[0].starts_with("INFO other_algorithm_token_query: expected information: "));
    assert!(info[0].contains(", got 200"), "{}", info[0]);
    assert_eq!(lines.len(), passes + 3 + 2);
    for case in [
        "valid_launch_query",
        "replay_form",
        "expired_query",
        "alg_none_form",
        "client_data_once_query",
    ] {
        assert!(
            lines.contains(&format!("PASS {case}").as_str()),
            "{case}: {stdout}"
        );
    }
    let _ = std::fs::remove_dir_all(&setup.dir);
}

/// The strict vendor fetches the played portal's keys at start-up: the checker starts first
/// (`--ready-file`), and `--wait` covers the time until the vendor listens.
fn strict(alg: Algorithm, name: &str) {
    let setup = setup(name, alg);
    let runtime = runtime();
    let vendor_port = free_port();
    let url = format!("http://127.0.0.1:{vendor_port}/cv/launch");
    let ready = setup.dir.join("ready");
    let child = checker(&setup, &url, &["--json", "--wait", "30", "--ready-file"])
        .arg(&ready)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !ready.exists() {
        assert!(start.elapsed() < Duration::from_secs(30), "no ready file");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        std::fs::read_to_string(&ready).unwrap().trim(),
        setup.issuer.as_str()
    );
    start_vendor(&runtime, &setup, Weakness::Strict, vendor_port);
    let output = child.wait_with_output().unwrap();
    assert_no_token(&output);
    let (failed, passed, failed_count) = report(&output);
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!((failed_count, passed > 80), (0, true));
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let once = json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "client_data_once_form")
        .unwrap();
    // The strict vendor redeemed the valid launch exactly once.
    assert_eq!(once["got"], "1");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("listening: http://127.0.0.1:"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&setup.dir);
}

#[test]
fn a_strict_vendor_passes_every_case_eddsa() {
    strict(Algorithm::EdDSA, "strict-eddsa");
}

#[test]
fn a_strict_vendor_passes_every_case_es256() {
    strict(Algorithm::ES256, "strict-es256");
}

#[test]
fn usage_errors_exit_2() {
    let setup = setup("usage", Algorithm::EdDSA);
    let url = "http://127.0.0.1:9/cv/launch";
    let port = setup.portal_port.to_string();
    let other_port = format!(
        "http://127.0.0.1:{}",
        setup.portal_port.wrapping_add(1).max(1)
    );
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--issuer".into(), "https://portal.example".into()],
            "must be an http URL",
        ),
        (
            vec!["--issuer".into(), other_port],
            "its port must be --portal-addr's",
        ),
        (
            vec!["--issuer".into(), format!("http://example.com:{port}")],
            "loopback",
        ),
        (
            vec!["--launch-url".into(), "ftp://x".into()],
            "--launch-url",
        ),
        (
            vec!["--launch-url".into(), format!("{url}?token=x")],
            "`token` query parameter",
        ),
        (
            vec!["--portal-origin".into(), "*".into()],
            "--portal-origin",
        ),
        (
            vec!["--delivery".into(), "carrier-pigeon".into()],
            "invalid value",
        ),
        (vec!["--wait".into(), "100000".into()], "--wait"),
        (vec!["--plugin".into(), "no spaces".into()], "--plugin"),
    ];
    let portal_addr = format!("127.0.0.1:{port}");
    for (args, message) in cases {
        // The defaults, with the case's option replacing its default value.
        let mut line: Vec<String> = [
            ("--launch-url", url),
            ("--issuer", setup.issuer.as_str()),
            ("--plugin", PLUGIN),
            ("--portal-addr", portal_addr.as_str()),
        ]
        .iter()
        .filter(|(option, _)| *option != args[0])
        .flat_map(|(option, value)| [(*option).to_owned(), (*value).to_owned()])
        .collect();
        line.extend(args.iter().cloned());
        let output = Command::new(env!("CARGO_BIN_EXE_cvplugin"))
            .arg("vendor-check")
            .args(&line)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error[usage]: "), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    let output = Command::new(env!("CARGO_BIN_EXE_cvplugin"))
        .args(["vendor-check", "--launch-url", url])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&setup.dir);
}

#[test]
fn an_unreachable_vendor_exits_2_with_a_clear_message() {
    let setup = setup("unreachable", Algorithm::EdDSA);
    let url = format!("http://127.0.0.1:{}/cv/launch", free_port());
    let output = checker(&setup, &url, &["--wait", "1"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(output.stdout.is_empty());
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines[0].starts_with("listening: "), "{stderr}");
    assert_eq!(
        lines[1],
        format!(
            "error[connection_refused]: the vendor's launch URL {url} could not be reached: no connection"
        )
    );
    assert!(lines[2].starts_with("hint: "));
    let _ = std::fs::remove_dir_all(&setup.dir);
}
