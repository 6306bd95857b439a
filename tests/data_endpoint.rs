//! The portal's client-data endpoint (issue 11, PROTOCOL.md §11) through the public API, as a
//! portal calls it: tokens minted by an `Issuer`, answers checked for their exact status, code,
//! headers and body against the wire contract.
//!
//! Every answer any test gets goes through `check_common`, so the no-store headers, the JSON
//! content type, the body bound and the error body's shape are checked on every one of them.
//! The Redis test is `#[ignore]`d: run it with
//! `source .ci/redis.sh && cargo test --all-features --test data_endpoint -- --ignored`.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::{ISSUER, NOW, PLUGIN, clock, issuer_id, plugin};
use cv_portal_plugin::config::{PluginConfig, VisibleTo};
use cv_portal_plugin::data_endpoint::{LookupUnavailable, MAX_AUTHORIZATION_LEN, MAX_BODY_LEN};
use cv_portal_plugin::wire::{ClientData, ClientDataField, DiscoveryDocument, TaxDocument, Unit};
use cv_portal_plugin::{
    Algorithm, Answer, ClientDataEndpoint, Clock, FixedClock, InMemoryReplayGuard, Issuer, KeySet,
    ReplayEntry, ReplayError, ReplayGuard, Role, SigningKey, StoreCause, StoreFailure, SubjectId,
    Url, Verifier, Viewer, render_discovery,
};
use proptest::prelude::*;
use serde_json::Value;

/// The plugin of `common::plugin` with changes, rebuilt through the builder's JSON form.
fn plugin_with(id: &str, edit: impl FnOnce(&mut Value)) -> PluginConfig {
    let mut json = serde_json::to_value(plugin(id)).unwrap();
    edit(&mut json);
    PluginConfig::from_json(&json.to_string()).unwrap()
}

fn portal(clock: Arc<FixedClock>) -> Issuer {
    Issuer::builder(issuer_id(), SigningKey::generate(Algorithm::EdDSA).unwrap())
        .clock(clock)
        .build()
        .unwrap()
}

fn endpoint(
    issuer: &Issuer,
    plugins: Vec<PluginConfig>,
    clock: Arc<FixedClock>,
) -> ClientDataEndpoint {
    ClientDataEndpoint::builder(issuer.issuer_id().clone(), issuer.jwks().clone())
        .plugins(plugins)
        .grants(|p| {
            if p.id().as_str() == PLUGIN {
                vec![ClientDataField::Name, ClientDataField::Units]
            } else {
                Vec::new()
            }
        })
        .clock(clock)
        .build()
}

fn mint(issuer: &Issuer, plugin: &PluginConfig, role: Role) -> String {
    issuer
        .mint(plugin, &Viewer::new(SubjectId::new("48213").unwrap(), role))
        .unwrap()
        .into_token()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// Everything the lookup knows about Maria, all five fields, some of them for another plugin.
fn maria(sub: &SubjectId, role: Role) -> Option<ClientData> {
    (sub.as_str() == "48213").then(|| ClientData {
        // Deliberately wrong: the endpoint answers with the token's own sub, role and aud.
        sub: SubjectId::new("someone-else").unwrap(),
        role: if role == Role::Gestor {
            Role::Cliente
        } else {
            Role::Gestor
        },
        plugin: "other".parse().unwrap(),
        name: Some("Maria Souza".into()),
        email: Some("maria@example.com".into()),
        document: Some(TaxDocument::parse("529.982.247-25").unwrap()),
        phone: Some("+5511987654321".into()),
        units: Some(vec![Unit {
            empreendimento: "Residencial Ipê".into(),
            bloco: Some("B".into()),
            unidade: "1204".into(),
            contract_id: Some("C-2024-0042".into()),
        }]),
    })
}

fn nobody(_: &SubjectId, _: Role) -> Option<ClientData> {
    None
}

/// What the contract says of every answer, whatever its status.
fn check_common(answer: &Answer) -> Value {
    assert_eq!(
        answer.header("Content-Type"),
        Some("application/json; charset=utf-8"),
        "{answer:?}"
    );
    assert_eq!(
        answer.header("Cache-Control"),
        Some("no-store"),
        "{answer:?}"
    );
    assert_eq!(answer.header("Pragma"), Some("no-cache"), "{answer:?}");
    assert!(answer.body.len() <= MAX_BODY_LEN, "{answer:?}");
    let body: Value = serde_json::from_str(&answer.body).expect("the body is JSON");
    if answer.status != 200 {
        let code = body["error"].as_str().expect("error is a string");
        assert_eq!(Some(code), answer.code());
        assert!(
            code.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{code}"
        );
        let description = body["error_description"].as_str().expect("a description");
        assert!(description.len() <= 256, "{description}");
        assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    }
    for (name, value) in &answer.headers {
        assert!(
            value.bytes().all(|b| (0x20..0x7f).contains(&b)),
            "header {name} is visible ASCII: {value:?}"
        );
    }
    body
}

/// Checks status, code and the contract's extra header of a refusal.
fn refused(answer: &Answer, status: u16, code: &str) {
    check_common(answer);
    assert_eq!(
        (answer.status, answer.code()),
        (status, Some(code)),
        "{answer:?}"
    );
    let challenge = answer.header("WWW-Authenticate");
    let expected = match status {
        400 => Some(r#"Bearer realm="cv-plugin", error="invalid_request""#.to_owned()),
        401 if code == "missing_token" => Some(r#"Bearer realm="cv-plugin""#.to_owned()),
        401 => Some(format!(
            r#"Bearer realm="cv-plugin", error="invalid_token", error_description="{code}""#
        )),
        403 => Some(format!(
            r#"Bearer realm="cv-plugin", error="insufficient_scope", error_description="{code}""#
        )),
        _ => None,
    };
    assert_eq!(challenge, expected.as_deref(), "{answer:?}");
    let retry = (status == 503).then_some("5");
    assert_eq!(answer.header("Retry-After"), retry, "{answer:?}");
    let expected_headers = 3 + usize::from(expected.is_some()) + usize::from(retry.is_some());
    assert_eq!(answer.headers.len(), expected_headers, "{answer:?}");
}

#[test]
fn by_default_the_plugin_configurations_own_grants_apply() {
    let clock = clock();
    let issuer = portal(clock.clone());
    let granted = plugin_with(PLUGIN, |j| j["client_data"] = serde_json::json!(["units"]));
    let silent = plugin_with("boletos", |_| {});
    assert!(
        silent.client_data().is_empty(),
        "nothing is granted by default"
    );
    let endpoint = ClientDataEndpoint::builder(issuer.issuer_id().clone(), issuer.jwks().clone())
        .plugins([granted.clone(), silent.clone()])
        .clock(clock)
        .build();
    let answer = endpoint.handle(
        Some(&bearer(&mint(&issuer, &granted, Role::Cliente))),
        maria,
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    let data: ClientData = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(data.fields(), [ClientDataField::Units]);
    // A plugin granted nothing learns who the launch was for, and nothing else.
    let answer = endpoint.handle(Some(&bearer(&mint(&issuer, &silent, Role::Cliente))), maria);
    assert_eq!(answer.status, 200, "{answer:?}");
    let data: ClientData = serde_json::from_str(&answer.body).unwrap();
    assert!(data.fields().is_empty());
    assert_eq!(data.sub.as_str(), "48213");
}

#[test]
fn a_first_redemption_answers_the_granted_fields_only() {
    let clock = clock();
    let issuer = portal(clock.clone());
    let financeiro = plugin(PLUGIN);
    let endpoint = endpoint(&issuer, vec![financeiro.clone()], clock);
    let token = mint(&issuer, &financeiro, Role::Cliente);

    let answer = endpoint.handle(Some(&bearer(&token)), maria);
    let body = check_common(&answer);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.headers.len(), 3);
    assert_eq!(
        body,
        serde_json::json!({
            "sub": "48213", "role": "cliente", "plugin": "financeiro",
            "name": "Maria Souza",
            "units": [{"empreendimento": "Residencial Ipê", "bloco": "B", "unidade": "1204",
                       "contract_id": "C-2024-0042"}],
        })
    );
    for leaked in [
        "maria@",
        "52998224725",
        "987654321",
        "someone-else",
        "gestor",
    ] {
        assert!(!answer.body.contains(leaked), "{leaked} must not be sent");
    }
    // The vendor side reads it back as typed data.
    let data: ClientData = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(
        data.fields(),
        [ClientDataField::Name, ClientDataField::Units]
    );
    let claims = answer
        .claims
        .as_ref()
        .expect("claims for the portal's logs");
    assert_eq!(claims.subject().as_str(), "48213");
    assert!(answer.error.is_none());
    assert!(
        !format!("{answer:?}").contains("Maria"),
        "Debug hides the body"
    );
}

#[test]
fn a_plugin_granted_nothing_gets_who_and_nothing_else() {
    let clock = clock();
    let issuer = portal(clock.clone());
    let boletos = plugin("boletos");
    let endpoint = endpoint(&issuer, vec![boletos.clone()], clock);
    let answer = endpoint.handle(
        Some(&bearer(&mint(&issuer, &boletos, Role::Cliente))),
        maria,
    );
    let body = check_common(&answer);
    assert_eq!(answer.status, 200);
    assert_eq!(
        body,
        serde_json::json!({"sub": "48213", "role": "cliente", "plugin": "boletos"})
    );
}

#[test]
fn a_second_redemption_is_refused_as_replayed() {
    let clock = clock();
    let issuer = portal(clock.clone());
    let financeiro = plugin(PLUGIN);
    let endpoint = endpoint(&issuer, vec![financeiro.clone()], clock);
    let header = bearer(&mint(&issuer, &financeiro, Role::Cliente));
    assert_eq!(endpoint.handle(Some(&header), maria).status, 200);
    let again = endpoint.handle(Some(&header), maria);
    refused(&again, 401, "replayed");
    assert!(
        again.claims.is_some(),
        "a replay is logged with the token's claims"
    );
    // A person without data also consumes the redemption.
    let header = bearer(&mint(&issuer, &financeiro, Role::Cliente));
    refused(
        &endpoint.handle(Some(&header), nobody),
        404,
        "client_not_found",
    );
    refused(&endpoint.handle(Some(&header), maria), 401, "replayed");
}

/// The portal's endpoint and a vendor's verifier sharing one replay store, and a fresh token.
fn endpoint_and_vendor_sharing_one_store() -> (ClientDataEndpoint, Verifier, String) {
    let clock = clock();
    let issuer = portal(clock.clone());
    let financeiro = plugin(PLUGIN);
    let shared: Arc<dyn ReplayGuard> = Arc::new(InMemoryReplayGuard::new());
    let endpoint = ClientDataEndpoint::builder(issuer_id(), issuer.jwks().clone())
        .plugins([financeiro.clone()])
        .replay_guard(shared.clone())
        .clock(clock.clone())
        .build();
    let vendor = Verifier::builder(issuer_id(), PLUGIN.parse().unwrap())
        .key_set(KeySet::from_jwks_json(&issuer.jwks().to_jwks_json()).unwrap())
        .replay_guard(shared)
        .clock(clock)
        .build()
        .unwrap();
    let token = mint(&issuer, &financeiro, Role::Cliente);
    (endpoint, vendor, token)
}

#[test]
fn the_vendor_single_use_and_the_redemption_are_separate_records() {
    let (endpoint, vendor, token) = endpoint_and_vendor_sharing_one_store();
    vendor.verify(&token).expect("the vendor's single use");
    assert_eq!(endpoint.handle(Some(&bearer(&token)), maria).status, 200);
    assert_eq!(vendor.verify(&token).unwrap_err().code(), "replayed");
}

#[test]
fn a_redemption_first_leaves_the_vendors_own_single_use_intact() {
    let (endpoint, vendor, token) = endpoint_and_vendor_sharing_one_store();
    // A vendor that redeems before it verifies (or a retry after a crash in between): the
    // redemption record must not make the vendor's own first verification read `replayed`.
    assert_eq!(endpoint.handle(Some(&bearer(&token)), maria).status, 200);
    vendor
        .verify(&token)
        .expect("the vendor's first use is still free");
    assert_eq!(vendor.verify(&token).unwrap_err().code(), "replayed");
    refused(
        &endpoint.handle(Some(&bearer(&token)), maria),
        401,
        "replayed",
    );
}

#[test]
fn the_plugin_store_is_asked_only_for_authenticated_tokens() {
    let clock = clock();
    let issuer = portal(clock.clone());
    let financeiro = plugin(PLUGIN);
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let endpoint = {
        let asked = Arc::clone(&asked);
        let stored = Arc::new(financeiro.clone());
        ClientDataEndpoint::builder(issuer_id(), issuer.jwks().clone())
            .find_plugin(move |id| {
                asked.lock().unwrap().push(id.as_str().to_owned());
                (id == stored.id()).then(|| Arc::clone(&stored))
            })
            .clock(clock.clone())
            .build()
    };
    let impostor = portal(clock.clone());
    let genuine = mint(&issuer, &financeiro, Role::Cliente);
    let forged = mint(&impostor, &plugin("invented"), Role::Cliente);
    let spliced = format!(
        "{}.{}",
        genuine.split('.').next().unwrap(),
        forged.split_once('.').unwrap().1
    );
    refused(
        &endpoint.handle(Some(&bearer(&forged)), maria),
        401,
        "unknown_kid",
    );
    refused(
        &endpoint.handle(Some(&bearer(&spliced)), maria),
        401,
        "bad_signature",
    );
    clock.advance(3600);
    refused(
        &endpoint.handle(Some(&bearer(&genuine)), maria),
        401,
        "expired",
    );
    assert!(
        asked.lock().unwrap().is_empty(),
        "the plugin store was queried for unauthenticated tokens: {:?}",
        asked.lock().unwrap()
    );
    let fresh = mint(&issuer, &financeiro, Role::Cliente);
    let removed = mint(&issuer, &plugin("removido"), Role::Cliente);
    assert_eq!(endpoint.handle(Some(&bearer(&fresh)), maria).status, 200);
    refused(
        &endpoint.handle(Some(&bearer(&removed)), maria),
        401,
        "plugin_not_found",
    );
    assert_eq!(*asked.lock().unwrap(), [PLUGIN, "removido"]);
}

#[test]
fn set_keys_drops_a_removed_key_at_once() {
    let clock = clock();
    let old = portal(clock.clone());
    let financeiro = plugin(PLUGIN);
    let endpoint = endpoint(&old, vec![financeiro.clone()], clock.clone());
    // Warm the endpoint with the old key, so a cached verifier would keep accepting it.
    let first = mint(&old, &financeiro, Role::Cliente);
    assert_eq!(endpoint.handle(Some(&bearer(&first)), maria).status, 200);
    let pending = mint(&old, &financeiro, Role::Cliente);

    let new = portal(clock);
    endpoint.set_keys(new.jwks().clone());
    assert_eq!(endpoint.kids(), [new.kid()]);
    refused(
        &endpoint.handle(Some(&bearer(&pending)), maria),
        401,
        "unknown_kid",
    );
    let fresh = mint(&new, &financeiro, Role::Cliente);
    assert_eq!(endpoint.handle(Some(&bearer(&fresh)), maria).status, 200);
    // Redemptions recorded before the swap stay recorded.
    endpoint.set_keys(old.jwks().clone());
    refused(
        &endpoint.handle(Some(&bearer(&first)), maria),
        401,
        "replayed",
    );
}

/// A clock whose first reading blocks until released: a request stopped after it picked up the
/// endpoint's keys and before it checked the signature.
struct GatedClock {
    now: i64,
    entered: Mutex<Option<std::sync::mpsc::Sender<()>>>,
    release: Mutex<Option<std::sync::mpsc::Receiver<()>>>,
}

impl Clock for GatedClock {
    fn now_unix(&self) -> i64 {
        if let Some(entered) = self.entered.lock().unwrap().take() {
            entered.send(()).unwrap();
            let release = self.release.lock().unwrap().take().unwrap();
            release.recv().unwrap();
        }
        self.now
    }
}

#[test]
fn set_keys_waits_for_checks_in_flight_and_none_use_the_old_keys_after() {
    let (entered_tx, entered_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel();
    let gated = Arc::new(GatedClock {
        now: NOW,
        entered: Mutex::new(Some(entered_tx)),
        release: Mutex::new(Some(release_rx)),
    });
    let old = portal(clock());
    let financeiro = plugin(PLUGIN);
    let endpoint = Arc::new(
        ClientDataEndpoint::builder(issuer_id(), old.jwks().clone())
            .plugins([financeiro.clone()])
            .clock(gated)
            .build(),
    );
    let in_flight = mint(&old, &financeiro, Role::Cliente);
    let late = mint(&old, &financeiro, Role::Cliente);
    let request = {
        let endpoint = Arc::clone(&endpoint);
        std::thread::spawn(move || endpoint.handle(Some(&bearer(&in_flight)), maria).status)
    };
    entered_rx.recv().unwrap(); // the request is checking its token with the old keys
    let new = portal(clock());
    let swap = {
        let endpoint = Arc::clone(&endpoint);
        let keys = new.jwks().clone();
        std::thread::spawn(move || endpoint.set_keys(keys))
    };
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(
        !swap.is_finished(),
        "set_keys returned while a check with the old keys was still running"
    );
    release_tx.send(()).unwrap();
    // Begun before the swap: it finishes with the keys it started with.
    assert_eq!(request.join().unwrap(), 200);
    swap.join().unwrap();
    // After set_keys returned, the old key redeems nothing.
    refused(
        &endpoint.handle(Some(&bearer(&late)), maria),
        401,
        "unknown_kid",
    );
}

#[test]
fn a_lookup_outage_is_503_and_consumes_nothing() {
    let clock = clock();
    let issuer = portal(clock.clone());
    let financeiro = plugin(PLUGIN);
    let endpoint = endpoint(&issuer, vec![financeiro.clone()], clock);
    let header = bearer(&mint(&issuer, &financeiro, Role::Cliente));

    let authorized = endpoint.authorize(Some(&header)).unwrap();
    assert_eq!(authorized.subject().as_str(), "48213");
    assert_eq!(authorized.role(), Role::Cliente);
    assert_eq!(authorized.plugin().id().as_str(), PLUGIN);
    assert_eq!(
        authorized.granted(),
        [ClientDataField::Name, ClientDataField::Units]
    );
    let answer = endpoint.complete(authorized, Err(LookupUnavailable));
    refused(&answer, 503, "lookup_unavailable");
    assert_eq!(answer.header("Retry-After"), Some("5"));
    assert!(
        answer.claims.is_some(),
        "a 503 after verification still says which token"
    );

    // The vendor retries with the same token: the redemption was not consumed.
    let authorized = endpoint.authorize(Some(&header)).unwrap();
    let found = maria(authorized.subject(), authorized.role());
    assert_eq!(endpoint.complete(authorized, Ok(found)).status, 200);
    let authorized = endpoint.authorize(Some(&header)).unwrap();
    refused(&endpoint.complete(authorized, Ok(None)), 401, "replayed");
}

#[test]
fn a_token_for_a_plugin_the_portal_does_not_have_is_plugin_not_found() {
    let clock = clock();
    let issuer = portal(clock.clone());
    let endpoint = endpoint(&issuer, vec![plugin(PLUGIN)], clock);
    let removed = plugin("removido");
    let answer = endpoint.handle(
        Some(&bearer(&mint(&issuer, &removed, Role::Cliente))),
        maria,
    );
    refused(&answer, 401, "plugin_not_found");
    assert!(answer.claims.is_none());
}

#[test]
fn an_inactive_plugin_is_403_and_does_not_consume_the_redemption() {
    let clock = clock();
    let issuer = portal(clock.clone());
    let financeiro = plugin(PLUGIN);
    let inactive = Arc::new(plugin_with(PLUGIN, |j| j["active"] = false.into()));
    let active = Arc::new(financeiro.clone());
    let switched_off = Arc::new(AtomicBool::new(true));
    let off = switched_off.clone();
    let endpoint = ClientDataEndpoint::builder(issuer_id(), issuer.jwks().clone())
        .find_plugin(move |id| {
            (id.as_str() == PLUGIN).then(|| {
                if off.load(Ordering::SeqCst) {
                    inactive.clone()
                } else {
                    active.clone()
                }
            })
        })
        .clock(clock)
        .build();
    let header = bearer(&mint(&issuer, &financeiro, Role::Cliente));
    refused(
        &endpoint.handle(Some(&header), maria),
        403,
        "plugin_inactive",
    );
    switched_off.store(false, Ordering::SeqCst);
    assert_eq!(endpoint.handle(Some(&header), maria).status, 200);
}

#[test]
fn a_role_the_plugin_no_longer_shows_to_is_403() {
    let clock = clock();
    let issuer = portal(clock.clone());
    // Minted while the plugin was shown to síndicos; the admin has since narrowed it.
    let before = plugin(PLUGIN);
    let after = plugin_with(PLUGIN, |j| {
        j["visible_to"] = serde_json::to_value(VisibleTo::Cliente).unwrap();
    });
    let endpoint = endpoint(&issuer, vec![after], clock);
    let header = bearer(&mint(&issuer, &before, Role::Sindico));
    refused(
        &endpoint.handle(Some(&header), maria),
        403,
        "not_visible_to_viewer",
    );
    let cliente = bearer(&mint(&issuer, &before, Role::Cliente));
    assert_eq!(endpoint.handle(Some(&cliente), maria).status, 200);
}

#[test]
fn an_expired_token_is_401_after_the_leeway_only() {
    let clock = clock();
    let issuer = portal(clock.clone());
    let financeiro = plugin(PLUGIN);
    let endpoint = endpoint(&issuer, vec![financeiro.clone()], clock.clone());
    let early = bearer(&mint(&issuer, &financeiro, Role::Cliente));
    let late = bearer(&mint(&issuer, &financeiro, Role::Cliente));
    // common::plugin's tokens live 300 s; the leeway is 30 s.
    clock.set(NOW + 300 + 29);
    assert_eq!(endpoint.handle(Some(&early), maria).status, 200);
    clock.set(NOW + 300 + 30);
    refused(&endpoint.handle(Some(&late), maria), 401, "expired");
}

#[test]
fn a_token_signed_with_someone_elses_key_is_refused() {
    let clock = clock();
    let issuer = portal(clock.clone());
    let financeiro = plugin(PLUGIN);
    let endpoint = endpoint(&issuer, vec![financeiro.clone()], clock.clone());
    // Another key claiming the same issuer id: its kid is not the portal's.
    let impostor = portal(clock);
    let forged = mint(&impostor, &financeiro, Role::Cliente);
    refused(
        &endpoint.handle(Some(&bearer(&forged)), maria),
        401,
        "unknown_kid",
    );
    // The portal's header (its kid) over the impostor's claims and signature.
    let genuine = mint(&issuer, &financeiro, Role::Cliente);
    let spliced = format!(
        "{}.{}",
        genuine.split('.').next().unwrap(),
        forged.split_once('.').unwrap().1
    );
    refused(
        &endpoint.handle(Some(&bearer(&spliced)), maria),
        401,
        "bad_signature",
    );
    // With an invented plugin, a forgery is still a forgery, not plugin_not_found.
    let invented = mint(&impostor, &plugin("invented"), Role::Cliente);
    let spliced = format!(
        "{}.{}",
        genuine.split('.').next().unwrap(),
        invented.split_once('.').unwrap().1
    );
    refused(
        &endpoint.handle(Some(&bearer(&spliced)), maria),
        401,
        "bad_signature",
    );
    // And nothing was consumed by them: the genuine token still redeems.
    assert_eq!(endpoint.handle(Some(&bearer(&genuine)), maria).status, 200);
}

#[test]
fn another_issuer_is_wrong_issuer() {
    let clock = clock();
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let other = Issuer::builder(
        cv_portal_plugin::IssuerId::new(format!("{ISSUER}/")).unwrap(),
        key,
    )
    .clock(clock.clone())
    .build()
    .unwrap();
    let financeiro = plugin(PLUGIN);
    // The endpoint trusts this key but belongs to ISSUER.
    let endpoint = ClientDataEndpoint::builder(issuer_id(), other.jwks().clone())
        .plugins([financeiro.clone()])
        .clock(clock)
        .build();
    let token = mint(&other, &financeiro, Role::Cliente);
    refused(
        &endpoint.handle(Some(&bearer(&token)), maria),
        401,
        "wrong_issuer",
    );
}

#[test]
fn a_person_without_data_is_404_client_not_found() {
    let clock = clock();
    let issuer = portal(clock.clone());
    let financeiro = plugin(PLUGIN);
    let endpoint = endpoint(&issuer, vec![financeiro.clone()], clock);
    let seen = Mutex::new(None);
    let answer = endpoint.handle(
        Some(&bearer(&mint(&issuer, &financeiro, Role::Gestor))),
        |sub, role| {
            *seen.lock().unwrap() = Some((sub.clone(), role));
            None
        },
    );
    refused(&answer, 404, "client_not_found");
    let (sub, role) = seen.lock().unwrap().clone().expect("the lookup was asked");
    assert_eq!((sub.as_str(), role), ("48213", Role::Gestor));
}

#[test]
fn a_missing_header_is_401_with_a_bare_challenge() {
    let clock = clock();
    let issuer = portal(clock.clone());
    let endpoint = endpoint(&issuer, vec![plugin(PLUGIN)], clock);
    let answer = endpoint.handle(None, |_, _| panic!("no lookup without a token"));
    refused(&answer, 401, "missing_token");
    assert_eq!(
        answer.header("www-authenticate"),
        Some(r#"Bearer realm="cv-plugin""#)
    );
}

#[test]
fn malformed_headers_are_400_invalid_request() {
    let clock = clock();
    let issuer = portal(clock.clone());
    let financeiro = plugin(PLUGIN);
    let endpoint = endpoint(&issuer, vec![financeiro.clone()], clock);
    let token = mint(&issuer, &financeiro, Role::Cliente);
    let cases = [
        String::new(),
        format!("Basic {token}"),
        format!("Token {token}"),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        format!("Bearer  {token}"),
        format!(" Bearer {token}"),
        format!("Bearer {token} "),
        format!("Bearer\t{token}"),
        format!("Bearer {token}, Bearer {token}"),
        format!("Bearer {}", "a".repeat(4993)), // a 5000-byte value
        format!("Bearer {token}é"),
        "Bearer tökén".to_owned(),
        format!("Bearer {token}\r\nX-Injected: 1"),
        format!("Bearer {token}\0"),
    ];
    for header in &cases {
        let answer = endpoint.handle(Some(header), |_, _| panic!("no lookup for {header:?}"));
        refused(&answer, 400, "invalid_request");
        assert!(
            !answer.body.contains(&token[..20]),
            "the token is never echoed"
        );
    }
    assert_eq!(cases[10].len(), 5000);
    // The longest accepted value is `Bearer ` and 4096 bytes: read as a token (malformed), not
    // refused as a header.
    let longest = format!("Bearer {}", "a".repeat(MAX_AUTHORIZATION_LEN - 7));
    refused(&endpoint.handle(Some(&longest), maria), 401, "malformed");
    // RFC 7235: the scheme is case-insensitive.
    let lower = format!("bearer {token}");
    assert_eq!(endpoint.handle(Some(&lower), maria).status, 200);
}

#[test]
fn tokens_that_parse_as_headers_but_not_as_tokens_are_401() {
    let clock = clock();
    let issuer = portal(clock.clone());
    let endpoint = endpoint(&issuer, vec![plugin(PLUGIN)], clock);
    for (token, code) in [
        ("abc", "malformed"),
        ("a.b.c", "non_canonical_base64"),
        ("eyJhbGciOiJub25lIn0.e30.", "alg_none"),
    ] {
        refused(&endpoint.handle(Some(&bearer(token)), maria), 401, code);
    }
}

/// A redemption store that cannot answer, and one that is full.
struct Down;
impl ReplayGuard for Down {
    fn check_and_insert(&self, _: &ReplayEntry<'_>) -> Result<(), ReplayError> {
        Err(ReplayError::Unavailable(StoreFailure::new(
            "SET",
            StoreCause::Io {
                detail: cv_portal_plugin::Quoted::ascii("secret-host.internal:6379"),
            },
        )))
    }
}

struct Full;
impl ReplayGuard for Full {
    fn check_and_insert(&self, _: &ReplayEntry<'_>) -> Result<(), ReplayError> {
        Err(ReplayError::CapacityExceeded(16))
    }
}

#[test]
fn a_failing_redemption_store_is_503_with_retry_after() {
    let clock = clock();
    let issuer = portal(clock.clone());
    let financeiro = plugin(PLUGIN);
    for (guard, code) in [
        (
            Arc::new(Down) as Arc<dyn ReplayGuard>,
            "replay_store_unavailable",
        ),
        (Arc::new(Full), "replay_capacity_exceeded"),
    ] {
        let endpoint = ClientDataEndpoint::builder(issuer_id(), issuer.jwks().clone())
            .plugins([financeiro.clone()])
            .replay_guard(guard)
            .clock(clock.clone())
            .build();
        let answer = endpoint.handle(
            Some(&bearer(&mint(&issuer, &financeiro, Role::Cliente))),
            maria,
        );
        refused(&answer, 503, code);
        assert!(
            !answer.body.contains("Maria"),
            "data sent without a redemption"
        );
        assert!(
            !answer.body.contains("secret-host"),
            "store details stay in the portal"
        );
    }
}

#[test]
fn client_data_too_large_for_the_body_bound_is_not_sent() {
    let clock = clock();
    let issuer = portal(clock.clone());
    let financeiro = plugin(PLUGIN);
    let endpoint = endpoint(&issuer, vec![financeiro.clone()], clock);
    let header = bearer(&mint(&issuer, &financeiro, Role::Cliente));
    let answer = endpoint.handle(Some(&header), |sub, role| {
        let mut data = maria(sub, role)?;
        data.units = Some(
            (0..2000)
                .map(|i| Unit {
                    empreendimento: "Residencial Ipê".into(),
                    bloco: None,
                    unidade: format!("{i:04}"),
                    contract_id: None,
                })
                .collect(),
        );
        Some(data)
    });
    refused(&answer, 500, "client_data_too_large");
    assert!(!answer.body.contains("Ipê"));
}

#[test]
fn error_bodies_stay_small_with_hostile_input() {
    let clock = clock();
    let issuer = portal(clock.clone());
    let endpoint = endpoint(&issuer, vec![plugin(PLUGIN)], clock);
    // A long attacker-chosen kid is quoted, bounded, in the description.
    let header = format!(
        r#"{{"alg":"EdDSA","typ":"cv-plugin-launch+jwt","kid":"{}"}}"#,
        "k".repeat(2500)
    );
    let token = format!(
        "{}.e30.{}",
        common::b64(header.as_bytes()),
        common::b64(&[0; 64])
    );
    let answer = endpoint.handle(Some(&bearer(&token)), maria);
    refused(&answer, 401, "unknown_kid");
    assert!(answer.body.len() < 512, "{}", answer.body.len());
}

#[test]
fn the_discovery_document_reads_back_as_the_wire_type() {
    let json = render_discovery(
        &issuer_id(),
        &Url::parse(&format!("{ISSUER}/.well-known/cv-plugin/jwks.json")).unwrap(),
        &Url::parse(&format!("{ISSUER}/api/cv-plugin/client-data")).unwrap(),
        [Algorithm::EdDSA, Algorithm::ES256, Algorithm::EdDSA],
    );
    let document: DiscoveryDocument = serde_json::from_str(&json).unwrap();
    assert_eq!(document.issuer, issuer_id());
    assert_eq!(document.protocol_version, 1);
    assert_eq!(
        document.client_data_endpoint,
        format!("{ISSUER}/api/cv-plugin/client-data")
    );
    assert_eq!(
        document.token_signing_alg_values_supported,
        ["EdDSA", "ES256"]
    );
    assert!(json.len() < 64 * 1024);
}

fn any_answer_is_a_bounded_4xx(endpoint: &ClientDataEndpoint, header: &str) {
    let answer = endpoint.handle(Some(header), |_, _| panic!("no lookup for junk"));
    check_common(&answer);
    assert!(
        (400..500).contains(&answer.status),
        "{header:?}: {answer:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_header_value_is_answered_4xx_without_panic(header in any::<String>()) {
        let clock = clock();
        let issuer = portal(clock.clone());
        let endpoint = endpoint(&issuer, vec![plugin(PLUGIN)], clock);
        any_answer_is_a_bounded_4xx(&endpoint, &header);
        any_answer_is_a_bounded_4xx(&endpoint, &format!("Bearer {header}"));
    }

    #[test]
    fn token_shaped_junk_is_answered_4xx_without_panic(
        parts in proptest::collection::vec("[A-Za-z0-9_=+/~.-]{0,80}", 1..5)
    ) {
        let clock = clock();
        let issuer = portal(clock.clone());
        let endpoint = endpoint(&issuer, vec![plugin(PLUGIN)], clock);
        any_answer_is_a_bounded_4xx(&endpoint, &format!("Bearer {}", parts.join(".")));
    }
}

/// One redemption through a live Redis, as a portal with several instances runs it.
#[cfg(feature = "redis")]
#[test]
#[ignore = "needs a live Redis: source .ci/redis.sh && cargo test --all-features --test data_endpoint -- --ignored"]
fn a_redemption_through_redis_is_once_across_instances() {
    use cv_portal_plugin::RedisReplayGuard;
    let url = std::env::var("CV_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .expect("CV_REDIS_URL (a running redis-server)");
    let issuer = Issuer::new(issuer_id(), SigningKey::generate(Algorithm::EdDSA).unwrap());
    let financeiro = plugin(PLUGIN);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let prefix = format!("cvpp-test:data_endpoint:{}:{nanos}:", std::process::id());
    let instance = || {
        let guard = RedisReplayGuard::builder(url.clone())
            .prefix(prefix.clone())
            .build()
            .unwrap();
        ClientDataEndpoint::builder(issuer_id(), issuer.jwks().clone())
            .plugins([financeiro.clone()])
            .replay_guard(Arc::new(guard))
            .build()
    };
    let (first, second) = (instance(), instance());
    let header = bearer(&mint(&issuer, &financeiro, Role::Cliente));
    let answer = first.handle(Some(&header), maria);
    check_common(&answer);
    assert_eq!(answer.status, 200, "{answer:?}");
    refused(&second.handle(Some(&header), maria), 401, "replayed");
}

/// The endpoint's own answers, read by the vendor's side of the crate: the two halves of the
/// exchange agree on every row, not only on hand-written examples.
#[test]
fn the_vendor_reads_the_endpoints_real_answers() {
    use cv_portal_plugin::DataFault;
    use cv_portal_plugin::data_client::read_client_data_for;

    let clock = clock();
    let issuer = portal(clock.clone());
    let financeiro = plugin(PLUGIN);
    let inactive = plugin_with(PLUGIN, |j| j["active"] = false.into());
    let endpoint = endpoint(&issuer, vec![financeiro.clone()], clock.clone());
    let vendor = Verifier::builder(issuer.issuer_id().clone(), PLUGIN.parse().unwrap())
        .key_set(issuer.jwks().clone())
        .clock(clock.clone())
        .replay_guard(Arc::new(InMemoryReplayGuard::new()))
        .build()
        .unwrap();
    let read = |answer: &Answer, claims| {
        read_client_data_for(
            claims,
            answer.status,
            answer.header("WWW-Authenticate"),
            answer.body.as_bytes(),
        )
    };

    // 200: the granted fields, for this launch.
    let token = mint(&issuer, &financeiro, Role::Cliente);
    let claims = vendor.verify(&token).unwrap();
    let answer = endpoint.handle(Some(&bearer(&token)), maria);
    let data = read(&answer, &claims).unwrap();
    assert_eq!(
        data.fields(),
        [ClientDataField::Name, ClientDataField::Units]
    );
    // The same token again: refused as the token's fault, with the portal's code.
    let again = endpoint.handle(Some(&bearer(&token)), maria);
    let error = read(&again, &claims).unwrap_err();
    assert_eq!(error.fault(), DataFault::Token);
    assert_eq!(error.server_code(), Some("replayed"));

    // 404: no data for this person.
    let token = mint(&issuer, &financeiro, Role::Cliente);
    let claims = vendor.verify(&token).unwrap();
    let answer = endpoint.handle(Some(&bearer(&token)), |_, _| None);
    assert_eq!(
        read(&answer, &claims).unwrap_err().fault(),
        DataFault::NoData
    );

    // 403: the plugin was switched off after the launch.
    let token = mint(&issuer, &financeiro, Role::Cliente);
    let claims = vendor.verify(&token).unwrap();
    let off = ClientDataEndpoint::builder(issuer.issuer_id().clone(), issuer.jwks().clone())
        .plugins([inactive])
        .clock(clock.clone())
        .build();
    let answer = off.handle(Some(&bearer(&token)), maria);
    let error = read(&answer, &claims).unwrap_err();
    assert_eq!(error.fault(), DataFault::Access);
    assert_eq!(error.server_code(), Some("plugin_inactive"));

    // 401 after expiry, read from the real WWW-Authenticate and body.
    let token = mint(&issuer, &financeiro, Role::Cliente);
    let claims = vendor.verify(&token).unwrap();
    clock.advance(3600);
    let answer = endpoint.handle(Some(&bearer(&token)), maria);
    let error = read(&answer, &claims).unwrap_err();
    assert_eq!(error.fault(), DataFault::Token);
    assert_eq!(error.server_code(), Some("expired"));
}

#[test]
fn a_vendor_never_sends_one_portals_token_to_another() {
    use cv_portal_plugin::ClientDataRequest;

    let clock = clock();
    let issuer = portal(clock.clone());
    let financeiro = plugin(PLUGIN);
    let token = mint(&issuer, &financeiro, Role::Cliente);
    let claims = Verifier::builder(issuer.issuer_id().clone(), PLUGIN.parse().unwrap())
        .key_set(issuer.jwks().clone())
        .clock(clock)
        .replay_guard(Arc::new(InMemoryReplayGuard::new()))
        .build()
        .unwrap()
        .verify(&token)
        .unwrap();
    let discovery_of = |iss: &str| DiscoveryDocument {
        issuer: cv_portal_plugin::IssuerId::new(iss).unwrap(),
        protocol_version: 1,
        jwks_uri: format!("{iss}/jwks.json"),
        client_data_endpoint: format!("{iss}/api/client-data"),
        token_signing_alg_values_supported: vec!["EdDSA".to_owned()],
    };
    let ours = ClientDataRequest::for_launch(&discovery_of(ISSUER), &claims, &token).unwrap();
    assert_eq!(ours.url(), format!("{ISSUER}/api/client-data"));
    let other = discovery_of("https://outro-portal.example.com.br");
    let error = ClientDataRequest::for_launch(&other, &claims, &token).unwrap_err();
    assert_eq!(error.code(), "discovery_issuer_mismatch");
    assert!(!format!("{error} {error:?}").contains(&token));
}

/// Issue 15: a portal signing an ES256 plugin beside its EdDSA plugins redeems both plugins'
/// tokens at its client-data endpoint (which verifies with the portal's whole JWKS), and its
/// discovery document lists both algorithms.
#[test]
fn an_es256_plugins_token_redeems_beside_the_eddsa_plugins() {
    let clock = clock();
    let issuer = Issuer::builder(issuer_id(), SigningKey::generate(Algorithm::EdDSA).unwrap())
        .signing_key(SigningKey::generate(Algorithm::ES256).unwrap())
        .clock(clock.clone())
        .build()
        .unwrap();
    let financeiro = plugin(PLUGIN);
    let dotnet = plugin_with("boletos-net", |json| json["algorithm"] = "ES256".into());
    assert_eq!(dotnet.algorithm(), Algorithm::ES256);
    let endpoint = endpoint(&issuer, vec![financeiro.clone(), dotnet.clone()], clock);

    let es_token = mint(&issuer, &dotnet, Role::Sindico);
    let header: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            es_token.split('.').next().unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"], issuer.kid_for(Algorithm::ES256).unwrap());
    let answer = endpoint.handle(Some(&bearer(&es_token)), maria);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        check_common(&answer),
        serde_json::json!({"sub": "48213", "role": "sindico", "plugin": "boletos-net"})
    );
    refused(
        &endpoint.handle(Some(&bearer(&es_token)), maria),
        401,
        "replayed",
    );
    // The EdDSA plugin beside it, as before.
    let ed_token = mint(&issuer, &financeiro, Role::Cliente);
    let answer = endpoint.handle(Some(&bearer(&ed_token)), maria);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(check_common(&answer)["plugin"], PLUGIN);

    let discovery = render_discovery(
        issuer.issuer_id(),
        &Url::parse(&format!("{ISSUER}/.well-known/cv-plugin/jwks.json")).unwrap(),
        &Url::parse(&format!("{ISSUER}/api/cv-plugin/client-data")).unwrap(),
        issuer.algorithms(),
    );
    let document: DiscoveryDocument = serde_json::from_str(&discovery).unwrap();
    assert_eq!(
        document.token_signing_alg_values_supported,
        ["EdDSA", "ES256"]
    );
}
