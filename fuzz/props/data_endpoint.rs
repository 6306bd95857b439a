//! Target `data_endpoint`: the portal's client-data endpoint ([`ClientDataEndpoint::handle`])
//! on arbitrary `Authorization` values, hostile and nearly genuine, and the vendor's reading of
//! every answer it gives.
//!
//! Input: a mode byte, then by mode: (0) no header; (1) the rest as the header; (2) `Bearer ` and
//! a genuine token (picked by a byte) with one of its three segments (picked by a byte) replaced
//! by the rest; (3) the rest up to a NUL as the scheme, one space and a genuine token; (4) a
//! genuine token, exactly.
//!
//! The endpoint is the vectors' issuer and TEST Ed25519 key, their clock, and five tokens: for
//! a plugin granted `name` only (Maria has data; Zé has none), an inactive plugin, a plugin
//! shown to the cliente only (a síndico's token), and a plugin the portal no longer has. State
//! persists across inputs, as in a portal: each token redeems at most once in the whole run.
//!
//! Properties:
//! - every answer has a listed status, `Cache-Control: no-store`, `Pragma: no-cache`, a JSON
//!   body of at most 64 KiB that never holds a token's signature;
//! - a refusal's body `error` is the answer's code, listed and snake_case; a 400/401/403 carries
//!   a Bearer challenge whose `error_description` (when present) is that code;
//! - a genuine token sent exactly gets exactly its case's answer: Maria's 200 the first time and
//!   `replayed` after, Zé's 404 the first time and `replayed` after, and the inactive, hidden and
//!   removed plugins' 403/401 codes every time; nothing else ever gets a 200; a 200 holds `sub`,
//!   `role`, `plugin` and the granted `name`, nothing else;
//! - the vendor's `read_client_data` reads every answer as the contract says: the data for a
//!   200, else an error whose server code is the answer's code.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use cv_portal_plugin::data_client::{BearerChallenge, read_client_data};
use cv_portal_plugin::data_endpoint::{EndpointError, MAX_BODY_LEN};
use cv_portal_plugin::wire::{ClientData, ClientDataField, Unit};
use cv_portal_plugin::{
    ClientDataEndpoint, Dimension, Icon, Issuer, PluginConfig, Role, SubjectId, VerifyError,
    Viewer, VisibleTo,
};
use serde_json::Value;

use super::{Input, fixture};

/// The statuses the endpoint may answer with this target's lookup (never `500`: the data is
/// small).
const STATUSES: [u16; 5] = [200, 400, 401, 403, 404];

/// What a genuine token, sent exactly, must get.
#[derive(Clone, Copy)]
enum Expect {
    /// 200 the first time, then `replayed`.
    Data,
    /// 404 `client_not_found` the first time (consuming it), then `replayed`.
    NoData,
    /// This refusal, every time (nothing consumed).
    Refused(u16, &'static str),
}

struct State {
    endpoint: ClientDataEndpoint,
    tokens: Vec<(String, Expect)>,
    /// Genuine tokens that were consumed (a 200 or a 404).
    consumed: Mutex<HashSet<String>>,
}

fn plugin(
    id: &str,
    active: bool,
    visible_to: VisibleTo,
    grants: &[ClientDataField],
) -> PluginConfig {
    PluginConfig::builder()
        .id(id)
        .name(id)
        .active(active)
        .link("https://erp.example.com/portal")
        .icon(Icon::Alerta)
        .title(id)
        .show_in_client_portal(true)
        .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
        .visible_to(visible_to)
        .client_data(grants.iter().copied())
        .build()
        .expect("plugin configuration")
}

fn lookup(sub: &SubjectId, role: Role) -> Option<ClientData> {
    (sub.as_str() == "maria").then(|| ClientData {
        sub: SubjectId::new("someone-else").expect("sub"),
        role,
        plugin: "other".parse().expect("plugin"),
        name: Some("Maria Souza".into()),
        email: Some("maria@example.com".into()),
        document: None,
        phone: Some("+55 11 91234-5678".into()),
        units: Some(vec![Unit {
            empreendimento: "Residencial Ipê".into(),
            bloco: Some("B".into()),
            unidade: "1204".into(),
            contract_id: None,
        }]),
    })
}

fn state() -> &'static State {
    static STATE: OnceLock<State> = OnceLock::new();
    STATE.get_or_init(|| {
        let fx = fixture();
        let issuer = Issuer::builder(fx.issuer.clone(), fx.ed25519.clone())
            .clock(fx.clock.clone())
            .build()
            .expect("issuer");
        let both = VisibleTo::ClienteESindico;
        let name = [ClientDataField::Name];
        // As minted (each plugin active and shown when the person clicked) ...
        let granted = plugin("financeiro", true, both, &name);
        let inactive = plugin("desligado", true, both, &name);
        let narrowed = plugin("so-cliente", true, both, &name);
        let removed = plugin("removido", true, both, &name);
        // ... and as the portal has them now.
        let endpoint = ClientDataEndpoint::builder(fx.issuer.clone(), issuer.jwks().clone())
            .plugins([
                granted.clone(),
                plugin("desligado", false, both, &name),
                plugin("so-cliente", true, VisibleTo::Cliente, &name),
            ])
            .clock(fx.clock.clone())
            .build();
        let mint = |plugin: &PluginConfig, sub: &str, role: Role| {
            let viewer = Viewer::new(SubjectId::new(sub).expect("sub"), role);
            issuer.mint(plugin, &viewer).expect("mint").into_token()
        };
        let tokens = vec![
            (mint(&granted, "maria", Role::Cliente), Expect::Data),
            (mint(&granted, "ze", Role::Cliente), Expect::NoData),
            (
                mint(&inactive, "maria", Role::Cliente),
                Expect::Refused(403, "plugin_inactive"),
            ),
            (
                mint(&narrowed, "maria", Role::Sindico),
                Expect::Refused(403, "not_visible_to_viewer"),
            ),
            (
                mint(&removed, "maria", Role::Cliente),
                Expect::Refused(401, "plugin_not_found"),
            ),
        ];
        State {
            endpoint,
            tokens,
            consumed: Mutex::new(HashSet::new()),
        }
    })
}

/// The `Authorization` value the input describes.
fn header(input: &mut Input<'_>, tokens: &[(String, Expect)]) -> Option<String> {
    let mode = input.byte() % 5;
    let mut pick = || tokens[usize::from(input.byte()) % tokens.len()].0.clone();
    match mode {
        0 => None,
        1 => Some(String::from_utf8_lossy(input.0).into_owned()),
        2 => {
            let token = pick();
            let segment = usize::from(input.byte()) % 3;
            let rest = String::from_utf8_lossy(input.0);
            let mut parts: Vec<&str> = token.split('.').collect();
            parts[segment] = &rest;
            Some(format!("Bearer {}", parts.join(".")))
        }
        3 => {
            let token = pick();
            let scheme = input.text();
            Some(format!("{scheme} {token}"))
        }
        _ => Some(format!("Bearer {}", pick())),
    }
}

/// The property of target `data_endpoint`.
pub fn check(data: &[u8]) {
    let st = state();
    let mut input = Input(data);
    let header = header(&mut input, &st.tokens);
    let answer = st.endpoint.handle(header.as_deref(), lookup);

    assert!(
        STATUSES.contains(&answer.status),
        "status {}",
        answer.status
    );
    assert_eq!(answer.header("Cache-Control"), Some("no-store"));
    assert_eq!(answer.header("Pragma"), Some("no-cache"));
    assert!(
        answer.body.len() <= MAX_BODY_LEN,
        "body of {} bytes",
        answer.body.len()
    );
    for (token, _) in &st.tokens {
        let signature = token.rsplit('.').next().expect("signature");
        assert!(
            !answer.body.contains(signature),
            "the body holds a token's signature"
        );
    }
    let body: Value = serde_json::from_str(&answer.body).expect("the body is JSON");

    // What was sent: `Bearer ` (any case) and exactly one genuine token.
    let sent = header.as_deref().and_then(|h| {
        let (scheme, token) = h.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then_some(token)
    });
    let genuine = sent.and_then(|t| st.tokens.iter().find(|(token, _)| token == t));

    // A genuine token sent exactly gets exactly what its case says; anything else never a 200.
    match genuine {
        Some((token, expect)) => {
            let first = !st.consumed.lock().expect("lock").contains(token);
            let expected = match (*expect, first) {
                (Expect::Data, true) => (200, None),
                (Expect::NoData, true) => (404, Some("client_not_found")),
                (Expect::Data | Expect::NoData, false) => (401, Some("replayed")),
                (Expect::Refused(status, code), _) => (status, Some(code)),
            };
            assert_eq!(
                (answer.status, answer.code()),
                expected,
                "a genuine token got another answer"
            );
            if matches!(answer.status, 200 | 404) {
                st.consumed.lock().expect("lock").insert(token.clone());
            }
        }
        None => assert_ne!(
            answer.status, 200,
            "200 for a token the portal did not mint"
        ),
    }

    let www = answer.header("WWW-Authenticate");
    let vendor = read_client_data(answer.status, www, answer.body.as_bytes());
    if answer.status == 200 {
        let mut members: Vec<&str> = body
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        members.sort_unstable();
        assert_eq!(
            members,
            ["name", "plugin", "role", "sub"],
            "ungranted fields sent"
        );
        assert_eq!(
            (body["sub"].as_str(), body["plugin"].as_str()),
            (Some("maria"), Some("financeiro"))
        );
        let data = vendor.expect("the vendor reads a 200");
        assert_eq!(data.name.as_deref(), Some("Maria Souza"));
        assert!(answer.code().is_none());
        return;
    }

    let code = answer.code().expect("a refusal has a code");
    assert!(
        EndpointError::ENDPOINT_CODES.contains(&code) || VerifyError::ALL_CODES.contains(&code),
        "unlisted {code}"
    );
    assert_eq!(body["error"].as_str(), Some(code), "the body's error");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.len() <= 256),
        "error_description"
    );
    if matches!(answer.status, 400 | 401 | 403) {
        let challenge = BearerChallenge::parse(www.expect("a challenge"))
            .expect("a Bearer challenge the vendor can parse");
        if let Some(description) = challenge.error_description() {
            assert_eq!(description, code);
        }
    }
    if code == "client_not_found" {
        assert_eq!(answer.status, 404);
    }
    let error = vendor.expect_err("a refusal never reads as data");
    if code != "missing_token" || error.server_code().is_some() {
        assert_eq!(
            error.server_code(),
            Some(code),
            "the vendor reads another code"
        );
    }
}
