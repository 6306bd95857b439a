//! `cvplugin vendor-check`: plays the portal on loopback and attacks a vendor's launch endpoint
//! (issue 15). The played portal serves the discovery document, the JWKS and the client-data
//! endpoint of `--issuer` at `--portal-addr` ([`portal`]); then the checker sends the vendor a
//! valid launch, the same token again and the hostile tokens of [`forge`], by each delivery, and
//! judges every answer ([`checks`]).

mod checks;
mod forge;
mod launch;
mod portal;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use cv_portal_plugin::config::{Dimension, Icon, PluginConfig, VisibleTo};
use cv_portal_plugin::data_client::discovery_url;
use cv_portal_plugin::wire::ClientDataField;
use cv_portal_plugin::{
    Algorithm, Clock as _, Issuer, IssuerId, PluginId, PortalOrigin, Role, SigningKey, SubjectId,
    SystemClock, Url, Viewer, render_discovery,
};
use serde::Serialize;

use self::checks::{Outcome, REFUSED, REFUSED_OR_BOUNCE};
use self::forge::{Forger, OTHER_ALGORITHM_TOKEN};
use self::launch::{Answer, Delivery, Launcher, NoAnswer};
use self::portal::{DEMO_SUBJECT, PlayedPortal};
use crate::cli::AlgArg;
use crate::commands::{issuer_arg, plugin_arg, print_json, signing_keys_arg};
use crate::error::{CliError, Status, excerpt, show_path};
use crate::io::{write_stderr_lines, write_stdout};

/// The longest `--wait`, in seconds.
const MAX_WAIT_SECS: u64 = 600;
/// The pause between two attempts to reach a vendor that is not up yet.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// The help text after `cvplugin vendor-check --help`.
pub const AFTER_HELP: &str = "\
The checker plays the portal: at --portal-addr (a loopback address) it serves, for --issuer, the
discovery document GET {issuer}/.well-known/cv-plugin, the JWKS
{issuer}/.well-known/cv-plugin/jwks.json and the client-data endpoint
{issuer}/api/cv-plugin/client-data. Configure the vendor with that issuer (an http URL on
loopback whose port is --portal-addr's, e.g. --issuer http://127.0.0.1:8700 --portal-addr
127.0.0.1:8700) and the plugin id --plugin. The played portal holds and publishes one key per
algorithm, EdDSA and ES256, as a portal with plugins of both algorithms does: --key FILE (a
private JWK as `cvplugin keygen` writes it, or PKCS#8; repeatable, one per algorithm) or a fresh
key for an algorithm without one. The played plugin's tokens are signed with the key of --alg
(default: the first --key's algorithm, else EdDSA). The client-data endpoint answers for the
demo person (sub vendor-check.48213, cliente) with name, email and document granted.

Once listening, stderr says `listening: <issuer>` and --ready-file FILE is written with the
issuer; start the vendor then (it may fetch the keys at start-up). --wait SECS retries the first
launch while the vendor refuses connections, for up to SECS seconds (default 0: no retry).

Cases, for each delivery (suffix _query: GET ?token=, _form: POST token=):
  valid_launch            a valid launch is answered 2xx with the page, not a redirect
  frame_ancestors         its Content-Security-Policy frame-ancestors names the portal origin
                          (--portal-origin, default the issuer's), no wildcard, no X-Frame-Options
  referrer_policy         its Referrer-Policy is no-referrer (the last policy a browser knows)
  cache_control           its Cache-Control has no-store
  no_cookie_only_session  every Set-Cookie it sends has SameSite=None, Secure and Partitioned
  replay                  the same token again is refused
  client_data_once        the vendor presented the valid token at the client-data endpoint at
                          most once (counted after every request)
  no_token                a request without a token: refused as below, or answered with a page
                          that shows no data and starts no session (the bounce page, §13.5)
  wrong_audience, wrong_issuer, issuer_with_a_trailing_slash, typ_missing, typ_jwt,
  typ_with_media_type_prefix, alg_none, alg_none_upper_case,
  hs256_keyed_with_the_pem, hs256_keyed_with_the_pem_without_newline, hs256_keyed_with_the_der,
  hs256_keyed_with_the_public_key, hs256_keyed_with_the_jwk, hs256_keyed_with_the_jwks,
  alg_mismatch, kid_of_an_unpublished_key, kid_missing, signed_by_unpublished_key, header_jku,
  header_jwk_embedded, header_duplicate_kid, header_duplicate_alg, tampered_claims,
  tampered_signature, expired, not_yet_valid, issued_in_future, lifetime_over_one_hour,
  base64_padding, base64_signature_padding, base64_trailing_bits, claims_duplicate_sub,
  exp_string, exp_fractional, iat_fractional, missing_jti, missing_exp, unknown_role, aud_array,
  two_segments, token_just_over_the_limit
                          each refused: a 4xx answer, no Set-Cookie, none of the demo person's
                          data in the body, and the token never presented at the client-data
                          endpoint (replay: the refusal rules without the last one)
  The hs256_keyed_with_* cases are HS256 tokens under the plugin key's kid whose HMAC key is that
  public key as a lax library is handed it: the SPKI PEM (-----BEGIN PUBLIC KEY-----, lines of
  64, with and without the final newline), its DER, the raw key (32 bytes for Ed25519, the
  65-byte uncompressed point for P-256), the public JWK, and the JWKS document as served.
  alg_mismatch has the other algorithm's alg under the plugin key's kid and is signed by the
  portal's published key of that other algorithm (a vendor choosing the key by alg accepts it).
  expired (exp = now - 310), not_yet_valid (nbf = now + 310) and issued_in_future
  (iat = now + 310) lie 10 s outside the largest leeway of PROTOCOL.md §6 (300 s), each breaking
  one time check: a vendor with any allowed leeway refuses them, one with more fails. They are
  minted again every second, so the vendor's clock must be within 10 s of the checker's.
  other_algorithm_token   information only, not counted: a genuine token for the plugin signed
                          by the portal's published key of the other algorithm. A vendor pinned to
                          its plugin's algorithm (the onboarding checklist) refuses it; §6 check 5
                          also allows a verifier that accepts both algorithms, which accepts it
                          (the portal never mints such a token, §3). Printed as `INFO name: ...`

Output: one line per case, `PASS name`, `FAIL name: expected ..., got ...` or `INFO name:
expected ..., got ...`, then `N passed, M failed` (INFO lines not counted); with --json, one JSON
document {cases: [{name, pass, expected, got, informational}], passed, failed}. No token, cookie value or body is ever printed. Exit status 0 when every case
passes, 1 when any fails (`error[vendor_check_failed]` on stderr), 2 on a usage error, when
--portal-addr cannot be listened on, or when the first launch gets no connection
(`error[connection_refused]`, `error[timeout]`, `error[transport_failure]`).

Example:
  cvplugin vendor-check --launch-url http://127.0.0.1:8080/cv/launch --plugin financeiro \\
      --issuer http://127.0.0.1:8700 --portal-addr 127.0.0.1:8700 --wait 30 \\
      --ready-file /tmp/portal.ready";

/// `--delivery`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeliveryArg {
    /// GET with `?token=`.
    Query,
    /// POST with the form body `token=`.
    FormPost,
    /// Both, query first.
    Both,
}

/// `cvplugin vendor-check`.
#[derive(Debug, Args)]
pub struct VendorCheckArgs {
    /// The vendor's launch URL (http or https), without a `token` query parameter.
    #[arg(long, value_name = "URL")]
    pub launch_url: String,
    /// The issuer id the vendor is configured with: http on loopback, port of --portal-addr.
    #[arg(long, value_name = "ISS")]
    pub issuer: String,
    /// The vendor's plugin id (the tokens' `aud`).
    #[arg(long, value_name = "ID")]
    pub plugin: String,
    /// Where to serve the played portal: a loopback IP address and port.
    #[arg(long, value_name = "HOST:PORT")]
    pub portal_addr: String,
    /// The portal's private key (a private JWK or PKCS#8), at most one per algorithm
    /// (repeatable); an algorithm without one gets a fresh key. Both are published.
    #[arg(long, value_name = "FILE")]
    pub key: Vec<PathBuf>,
    /// The algorithm of the played plugin's tokens (default: the first --key's, else EdDSA).
    #[arg(long, value_enum)]
    pub alg: Option<AlgArg>,
    /// How launches are delivered.
    #[arg(long, value_enum, default_value_t = DeliveryArg::Both)]
    pub delivery: DeliveryArg,
    /// The origin that frame-ancestors must name (default: the issuer's origin).
    #[arg(long, value_name = "ORIGIN")]
    pub portal_origin: Option<String>,
    /// Print one JSON document instead of lines.
    #[arg(long)]
    pub json: bool,
    /// Write the issuer to FILE once the portal is listening.
    #[arg(long, value_name = "FILE")]
    pub ready_file: Option<PathBuf>,
    /// Retry the first launch for up to SECS seconds while the vendor refuses connections.
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    pub wait: u64,
}

/// The checked command line.
struct Setup {
    issuer: IssuerId,
    plugin: PluginId,
    addr: SocketAddr,
    prefix: String,
    launch_url: Url,
    origin: String,
    /// The key of the played plugin's algorithm.
    key: Arc<SigningKey>,
    /// The portal's key of the other algorithm, published too.
    other_key: Arc<SigningKey>,
    deliveries: Vec<Delivery>,
}

/// `--issuer`: an http URL on a loopback host, at `addr`'s port; returns its path prefix.
fn issuer_path(issuer: &IssuerId, addr: SocketAddr) -> Result<String, CliError> {
    let bad = |why: &str| {
        CliError::usage(format!("--issuer {}: {why}", excerpt(issuer.as_str()))).with_hint(
            "the checker serves plain HTTP on loopback: pass --issuer http://127.0.0.1:PORT \
                 with --portal-addr 127.0.0.1:PORT, and configure the vendor with that issuer",
        )
    };
    discovery_url(issuer).map_err(|e| bad(&e.to_string()))?;
    let url = Url::parse(issuer.as_str()).map_err(|_| bad("not a URL"))?;
    if url.scheme() != "http" {
        return Err(bad("must be an http URL (the checker serves no TLS)"));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(bad("must have no query, fragment or user info"));
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if !loopback {
        return Err(bad(
            "its host must be loopback (localhost, 127.0.0.0/8, [::1])",
        ));
    }
    if url.port_or_known_default() != Some(addr.port()) {
        return Err(bad(&format!(
            "its port must be --portal-addr's ({})",
            addr.port()
        )));
    }
    Ok(url.path().trim_end_matches('/').to_owned())
}

/// Checks every argument (exit 2 on any problem) and loads or makes the key.
fn setup(args: &VendorCheckArgs) -> Result<Setup, CliError> {
    let issuer = issuer_arg(&args.issuer)?;
    let plugin = plugin_arg(&args.plugin)?;
    let addr: SocketAddr = args.portal_addr.parse().map_err(|_| {
        CliError::usage(format!(
            "--portal-addr {}: not an IP address and port (e.g. 127.0.0.1:8700)",
            excerpt(&args.portal_addr)
        ))
    })?;
    if !addr.ip().is_loopback() || addr.port() == 0 {
        return Err(CliError::usage(format!(
            "--portal-addr {addr}: must be a loopback address with a port other than 0"
        )));
    }
    let prefix = issuer_path(&issuer, addr)?;
    let launch_url = Url::parse(&args.launch_url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| {
            CliError::usage(format!(
                "--launch-url {}: not an http or https URL",
                excerpt(&args.launch_url)
            ))
        })?;
    if launch_url.query_pairs().any(|(name, _)| name == "token") {
        return Err(CliError::usage(
            "--launch-url: must not already have a `token` query parameter (PROTOCOL.md §5)",
        ));
    }
    let origin = match &args.portal_origin {
        Some(text) => PortalOrigin::parse(text)
            .map_err(|e| CliError::usage(format!("--portal-origin: {e}")))?,
        None => {
            let url = Url::parse(issuer.as_str()).map_err(|_| CliError::usage("--issuer"))?;
            PortalOrigin::parse(&url.origin().ascii_serialization())
                .map_err(|e| CliError::usage(format!("--issuer: {e}")))?
        }
    };
    if args.wait > MAX_WAIT_SECS {
        return Err(CliError::usage(format!(
            "--wait {}: at most {MAX_WAIT_SECS} seconds",
            args.wait
        )));
    }
    let mut keys = signing_keys_arg(&args.key)?;
    let alg = match (args.alg, keys.first()) {
        (Some(alg), _) => Algorithm::from(alg),
        (None, Some((first, _))) => *first,
        (None, None) => Algorithm::EdDSA,
    };
    let mut take = |alg: Algorithm| match keys.iter().position(|(held, _)| *held == alg) {
        Some(i) => Ok(keys.swap_remove(i).1),
        None => SigningKey::generate(alg)
            .map_err(|e| CliError::new(Status::Failed, e.code(), e.to_string())),
    };
    let key = take(alg)?;
    let other_key = take(forge::other(alg))?;
    let deliveries = match args.delivery {
        DeliveryArg::Query => vec![Delivery::Query],
        DeliveryArg::FormPost => vec![Delivery::FormPost],
        DeliveryArg::Both => vec![Delivery::Query, Delivery::FormPost],
    };
    Ok(Setup {
        issuer,
        plugin,
        addr,
        prefix,
        launch_url,
        origin: origin.as_str().to_owned(),
        key: Arc::new(key),
        other_key: Arc::new(other_key),
        deliveries,
    })
}

/// The plugin the played portal knows: `--plugin`, signed with `algorithm` (the key's), active,
/// shown to every role, granted the demo person's name, email and document.
fn played_plugin(plugin: &PluginId, algorithm: Algorithm) -> Result<PluginConfig, CliError> {
    PluginConfig::builder()
        .id(plugin.as_str())
        .algorithm(algorithm)
        .name("cvplugin vendor-check")
        .link(crate::commands::token::PLACEHOLDER_LINK)
        .icon(Icon::Ferramenta)
        .title("cvplugin vendor-check")
        .show_in_client_portal(true)
        .show_in_manager_panel(true)
        .iframe_size(Dimension::Percent(100), Dimension::Percent(100))
        .visible_to(VisibleTo::ClienteESindico)
        .client_data([
            ClientDataField::Name,
            ClientDataField::Email,
            ClientDataField::Document,
        ])
        .build()
        .map_err(|errors| match errors.iter().next() {
            Some(first) => CliError::config_arg("--plugin", first),
            None => CliError::usage("--plugin was rejected"),
        })
}

/// The report of a run.
#[derive(Serialize)]
struct Report {
    cases: Vec<Outcome>,
    passed: usize,
    failed: usize,
}

/// A refused-launch case whose judgement waits until every request was sent (so that a vendor
/// redeeming in the background is counted too).
struct Pending {
    name: String,
    answer: Result<Answer, NoAnswer>,
    /// The token's `jti`, when redemptions of it count against the case.
    jti: Option<String>,
    /// The request carried no token: a page without the person's data and without a session
    /// (the bounce page of PROTOCOL.md §13.5, which a reload of the frame gets) is a refusal too.
    tokenless: bool,
    /// Reported, not judged (`other_algorithm_token`).
    informational: bool,
}

/// `cvplugin vendor-check`.
pub fn vendor_check(args: VendorCheckArgs) -> Result<(), CliError> {
    let setup = setup(&args)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::io(format!("cannot start the I/O runtime: {e}")))?;
    let report = runtime.block_on(run(&args, &setup))?;
    if args.json {
        print_json(&report)?;
    } else {
        let mut text = String::new();
        for case in &report.cases {
            if case.informational {
                text.push_str(&format!(
                    "INFO {}: expected {}, got {}\n",
                    case.name, case.expected, case.got
                ));
            } else if case.pass {
                text.push_str(&format!("PASS {}\n", case.name));
            } else {
                text.push_str(&format!(
                    "FAIL {}: expected {}, got {}\n",
                    case.name, case.expected, case.got
                ));
            }
        }
        text.push_str(&format!(
            "{} passed, {} failed\n",
            report.passed, report.failed
        ));
        write_stdout(&text)?;
    }
    if report.failed > 0 {
        return Err(CliError::new(
            Status::Rejected,
            "vendor_check_failed",
            format!(
                "{} of {} cases failed",
                report.failed,
                report.passed + report.failed
            ),
        ));
    }
    Ok(())
}

/// Serves the portal, sends every launch and judges the answers.
async fn run(args: &VendorCheckArgs, setup: &Setup) -> Result<Report, CliError> {
    let issuer = Issuer::builder(setup.issuer.clone(), Arc::clone(&setup.key))
        .signing_key(Arc::clone(&setup.other_key))
        .build()
        .map_err(|e| CliError::new(Status::Failed, e.code(), e.to_string()))?;
    let [_, jwks_path, data_path] = PlayedPortal::paths(&setup.prefix);
    let base = setup.issuer.as_str().trim_end_matches('/');
    let url = |path: &str| {
        let origin = base.strip_suffix(setup.prefix.as_str()).unwrap_or(base);
        Url::parse(&format!("{origin}{path}"))
            .map_err(|e| CliError::usage(format!("--issuer: {e}")))
    };
    let keys = issuer.jwks().clone();
    let algorithms: Vec<Algorithm> = issuer.algorithms().collect();
    let discovery = render_discovery(
        &setup.issuer,
        &url(&jwks_path)?,
        &url(&data_path)?,
        algorithms,
    );
    let plugin = played_plugin(&setup.plugin, setup.key.algorithm())?;
    let portal = Arc::new(PlayedPortal::new(
        &setup.issuer,
        &setup.prefix,
        discovery,
        &keys,
        plugin.clone(),
    ));

    let listener = tokio::net::TcpListener::bind(setup.addr)
        .await
        .map_err(|e| CliError::io(format!("--portal-addr {}: cannot listen: {e}", setup.addr)))?;
    let app = Arc::clone(&portal).router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    write_stderr_lines(&[format!("listening: {}", setup.issuer.as_str())]);
    if let Some(path) = &args.ready_file {
        std::fs::write(path, format!("{}\n", setup.issuer.as_str()))
            .map_err(|e| CliError::io(format!("{}: cannot write: {e}", show_path(path))))?;
    }

    let launcher = Launcher::new(setup.launch_url.clone())?;
    let viewer = Viewer::new(
        SubjectId::new(DEMO_SUBJECT).map_err(|e| CliError::usage(e.to_string()))?,
        Role::Cliente,
    );
    let mut forger = Forger::new(
        &setup.key,
        &setup.other_key,
        portal.jwks(),
        setup.issuer.as_str(),
        setup.plugin.as_str(),
        DEMO_SUBJECT,
    )?;
    let deadline = Instant::now() + Duration::from_secs(args.wait);
    let mut first = true;
    let mut outcomes = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut once: Vec<(String, String)> = Vec::new();

    for &delivery in &setup.deliveries {
        let suffix = delivery.suffix();
        let name = |case: &str| format!("{case}_{suffix}");
        let launch = issuer
            .mint(&plugin, &viewer)
            .map_err(|e| CliError::issue(&e))?;
        let token = launch.token();
        let answer = loop {
            let answer = launcher.send(delivery, Some(token)).await;
            match answer {
                Err(NoAnswer::Connect) if first && Instant::now() < deadline => {
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                Err(no) if first => {
                    return Err(CliError::new(
                        Status::Failed,
                        no.code(),
                        format!(
                            "the vendor's launch URL {} could not be reached: {}",
                            excerpt(setup.launch_url.as_str()),
                            no.describe()
                        ),
                    )
                    .with_hint(
                        "start the vendor first, or give it time to come up with --wait SECS",
                    ));
                }
                other => break other,
            }
        };
        first = false;
        valid_launch_cases(&answer, &setup.origin, token, &name, &mut outcomes);

        let replay = launcher.send(delivery, Some(token)).await;
        pending.push(Pending {
            name: name("replay"),
            answer: replay,
            jti: None,
            tokenless: false,
            informational: false,
        });
        once.push((
            name("client_data_once"),
            launch.claims().token_id().as_str().to_owned(),
        ));

        // Minted again whenever the clock moved on: the time cases are only 10 s outside the
        // largest leeway.
        let mut minted_at = SystemClock.now_unix();
        forger.set_now(minted_at);
        let mut hostile = forger.hostile()?;
        for index in 0..hostile.len() {
            let now = SystemClock.now_unix();
            if now != minted_at {
                minted_at = now;
                forger.set_now(now);
                hostile = forger.hostile()?;
            }
            let Some(case) = hostile.get(index) else {
                break;
            };
            let answer = launcher.send(delivery, case.token.as_deref()).await;
            pending.push(Pending {
                name: name(case.name),
                answer,
                jti: case.token.as_deref().and_then(portal::token_jti),
                tokenless: case.token.is_none(),
                informational: false,
            });
        }
        forger.set_now(SystemClock.now_unix());
        let case = forger.other_algorithm_token()?;
        let answer = launcher.send(delivery, case.token.as_deref()).await;
        pending.push(Pending {
            name: name(case.name),
            answer,
            jti: case.token.as_deref().and_then(portal::token_jti),
            tokenless: false,
            informational: true,
        });
    }

    for case in pending {
        let redeemed = case.jti.as_deref().map(|jti| portal.redemptions(jti));
        let (pass, got) = checks::refused(&case.answer, redeemed, case.tokenless);
        let expected = if case.tokenless {
            REFUSED_OR_BOUNCE
        } else {
            REFUSED
        };
        if case.informational {
            let expected = format!(
                "information: refused by a vendor pinned to its plugin's algorithm ({}), \
                 accepted by one that accepts both (PROTOCOL.md §6 check 5)",
                setup.key.algorithm().as_str()
            );
            let got = if pass { "refused".to_owned() } else { got };
            outcomes.push(Outcome::info(case.name, pass, &expected, got));
            continue;
        }
        outcomes.push(Outcome::new(case.name, pass, expected, got));
    }
    for (name, jti) in once {
        let count = portal.redemptions(&jti);
        outcomes.push(Outcome::new(
            name,
            count <= 1,
            "at most one redemption of the valid launch at the client-data endpoint",
            format!("{count}"),
        ));
    }
    outcomes.sort_by_key(|o| order(&setup.deliveries, &o.name));
    let judged = outcomes.iter().filter(|o| !o.informational);
    let passed = judged.clone().filter(|o| o.pass).count();
    let failed = judged.filter(|o| !o.pass).count();
    Ok(Report {
        cases: outcomes,
        passed,
        failed,
    })
}

/// Sorts the cases by delivery, then in the order they were sent, `client_data_once` after
/// `replay`.
fn order(deliveries: &[Delivery], name: &str) -> usize {
    let delivery = deliveries
        .iter()
        .position(|d| name.ends_with(&format!("_{}", d.suffix())))
        .unwrap_or(0);
    let base = deliveries
        .iter()
        .find_map(|d| name.strip_suffix(&format!("_{}", d.suffix())))
        .unwrap_or(name);
    let rank = match base {
        "valid_launch" => 0,
        "frame_ancestors" => 1,
        "referrer_policy" => 2,
        "cache_control" => 3,
        "no_cookie_only_session" => 4,
        "replay" => 5,
        "client_data_once" => 6,
        OTHER_ALGORITHM_TOKEN => 8,
        _ => 7,
    };
    delivery * 10 + rank
}

/// The cases judged on the valid launch's answer.
fn valid_launch_cases(
    answer: &Result<Answer, NoAnswer>,
    origin: &str,
    token: &str,
    name: &dyn Fn(&str) -> String,
    outcomes: &mut Vec<Outcome>,
) {
    let expectations: [(&str, String); 5] = [
        ("valid_launch", "a 2xx page, not a redirect".to_owned()),
        (
            "frame_ancestors",
            format!(
                "Content-Security-Policy frame-ancestors naming {origin}, no wildcard, no \
                 X-Frame-Options"
            ),
        ),
        ("referrer_policy", "Referrer-Policy: no-referrer".to_owned()),
        ("cache_control", "Cache-Control: no-store".to_owned()),
        (
            "no_cookie_only_session",
            "no Set-Cookie, or each with SameSite=None; Secure; Partitioned".to_owned(),
        ),
    ];
    for (case, expected) in expectations {
        let (pass, got) = match answer {
            Err(no) => (false, format!("no answer ({})", no.describe())),
            Ok(answer) => match case {
                "valid_launch" => checks::accepted(answer),
                "frame_ancestors" => checks::frame_ancestors(answer, origin, token),
                "referrer_policy" => checks::referrer_policy(answer),
                "cache_control" => checks::cache_control(answer),
                _ => checks::no_cookie_only_session(answer),
            },
        };
        outcomes.push(Outcome::new(name(case), pass, &expected, got));
    }
}
