//! Quickstart: the whole flow of the portal's help article ("Gestão de plugins"), both sides in
//! one process.
//!
//! 1. The portal admin registers a plugin (and sees what a bad configuration reads like).
//! 2. Each person's menu, in the client portal and in the manager panel.
//! 3. The portal's signing key, its published keys (JWKS) and its discovery document.
//! 4. A cliente clicks "Financeiro": the portal mints a launch token and opens the iframe.
//! 5. The ERP vendor verifies the token, then asks CV for the person's data, once.
//! 6. The vendor's boleto screen for that person.
//! 7. What is refused, each with its stable code: a second redemption, a person without data,
//!    a token for another plugin, an expired token.
//!
//! Run with `cargo run --example quickstart`. HTTP is left out: where the vendor would send a
//! request, the example hands it to the portal's handler and prints what would travel.

#[path = "support/iso8601.rs"]
mod iso8601;

use std::error::Error;
use std::sync::Arc;

use iso8601::iso8601;

use cv_portal_plugin::config::{Delivery, Dimension, Icon, PluginConfig, VisibleTo};
use cv_portal_plugin::data_client::{
    ClientDataRequest, discovery_url, read_client_data_for, read_discovery,
};
use cv_portal_plugin::data_endpoint::{Answer, render_discovery};
use cv_portal_plugin::menu::menu_for;
use cv_portal_plugin::render::IframeAttributes;
use cv_portal_plugin::wire::{ClientData, ClientDataField, TaxDocument, Unit};
use cv_portal_plugin::{
    Algorithm, ClientDataEndpoint, FixedClock, InMemoryReplayGuard, Issuer, IssuerId, KeySet,
    LaunchClaims, Role, SigningKey, SubjectId, Url, Verifier, VerifyError, Viewer,
};

/// The example's pinned clock: 2025-11-28T12:00:00Z. Production uses the system clock (the
/// default); a fixed one lets step 7 move time forward.
const NOW: i64 = 1_764_331_200;

fn main() -> Result<(), Box<dyn Error>> {
    println!(
        "All times below come from a pinned clock (a fixed instant, so the run is repeatable),"
    );
    println!("printed in ISO 8601, UTC. It reads {}.\n", iso8601(NOW));
    let clock = Arc::new(FixedClock::new(NOW));

    // ------------------------------------------------------------------------------------------
    section("1. The portal admin registers the Financeiro plugin (Gestão de plugins)");

    let financeiro = PluginConfig::builder()
        .id("financeiro")
        .name("Financeiro – segunda via de boleto")
        .link("https://erp.construtora.com.br/portal/financeiro?empresa=42")
        .icon(Icon::Boleto)
        .title("Financeiro")
        .show_in_client_portal(true)
        .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
        .visible_to(VisibleTo::ClienteESindico)
        // "Dados do cliente": what the plugin may read. Not e-mail, not phone.
        .client_data([
            ClientDataField::Name,
            ClientDataField::Document,
            ClientDataField::Units,
        ])
        .build()?;
    println!("{}\n", financeiro.to_json_pretty());
    println!("  `config check` warns: personal data and a token in the link's query string.");
    for warning in financeiro.warnings() {
        println!("  warning[{}]", warning.code());
        println!("    en:    {}", warning.message_en());
        println!("    pt-BR: {}", warning.message_pt_br());
    }
    // The admin follows the advice: the launch goes by form POST, out of URLs and logs.
    let financeiro = financeiro
        .to_builder()
        .delivery(Delivery::FormPost)
        .build()?;
    println!(
        "\n  With \"delivery\": \"{}\" the warning is gone ({} warnings).",
        financeiro.delivery(),
        financeiro.warnings().len()
    );
    println!(
        "\n  The portal shows it in an iframe:\n  {}\n",
        IframeAttributes::for_plugin(&financeiro)
    );

    println!("  A configuration with mistakes is refused with every problem at once:\n");
    let bad_json = r#"{
        "id": "financeiro 2", "name": "   ", "active": true,
        "link": "http://admin:senha@erp.construtora.com.br/portal#boletos",
        "icon": "sino", "title": "Financeiro",
        "show_in_client_portal": true, "show_in_manager_panel": false,
        "kind": "popup", "iframe_size": {"width": "100000px", "height": "250%"},
        "visible_to": "todos", "auth": {"type": "token", "token_lifetime_seconds": 86400},
        "client_data": ["name", "cpf"]
    }"#;
    if let Err(errors) = PluginConfig::from_json(bad_json) {
        for error in &errors {
            println!("  error[{}] at {}", error.code(), error.path());
            println!("    en:    {}", error.message_en());
            println!("    pt-BR: {}", error.message_pt_br());
        }
    }

    // ------------------------------------------------------------------------------------------
    section("2. Menus: who sees which plugin, and where");

    let plugins = [
        financeiro.clone(),
        // (id, title, icon, visible_to, (active, client portal, manager panel))
        plugin(
            "assembleias",
            "Assembleias",
            Icon::Predio,
            VisibleTo::Sindico,
            (true, true, false),
        )?,
        plugin(
            "assistencia",
            "Assistência técnica",
            Icon::Ferramenta,
            VisibleTo::Cliente,
            (true, true, true),
        )?,
        plugin(
            "relatorios",
            "Relatórios de obra",
            Icon::Grafico,
            VisibleTo::ClienteESindico,
            (true, false, true),
        )?,
        plugin(
            "antigo",
            "Plugin desativado",
            Icon::Alerta,
            VisibleTo::ClienteESindico,
            (false, true, true),
        )?,
    ];
    println!(
        "  Portal do Cliente (client portal): cliente and síndico, filtered by \"visible to\"."
    );
    println!("  Portal do Gestor (manager panel): the gestor, every active plugin shown there.\n");
    println!(
        "  {:<12} {:<7} {:<18} {:<28} {:<17}",
        "plugin", "active", "in client portal", "visible to (client portal)", "in manager panel"
    );
    for p in &plugins {
        println!(
            "  {:<12} {:<7} {:<18} {:<28} {:<17}",
            p.id(),
            yes_no(p.is_active()),
            yes_no(p.show_in_client_portal()),
            p.visible_to().label_pt_br(),
            yes_no(p.show_in_manager_panel()),
        );
    }
    println!();
    for &role in Role::ALL {
        let titles: Vec<String> = menu_for(&plugins, role)
            .iter()
            .map(|entry| format!("{} [icon {}]", entry.title(), entry.icon()))
            .collect();
        println!("  a {:<8} sees: {}", role.as_str(), titles.join(", "));
    }

    // ------------------------------------------------------------------------------------------
    section("3. The portal's signing key, its JWKS and its discovery document");

    let issuer_id = IssuerId::new("https://portal.construtora.com.br")?;
    let issuer = Issuer::builder(issuer_id.clone(), SigningKey::generate(Algorithm::EdDSA)?)
        .clock(clock.clone())
        .build()?;
    println!("  The portal signs with a private key that never leaves it. Vendors get the public");
    println!(
        "  half in a JWKS (JSON Web Key Set). Each key has a kid (key id): the token's header"
    );
    println!("  names the kid that signed it, so a vendor picks the right key, and during a key");
    println!("  rotation the JWKS can list the old and the new key side by side.\n");
    println!("  kid of the signing key: {}", issuer.kid());
    println!("  JWKS: {}\n", issuer.jwks().to_jwks_json());

    let jwks_uri = Url::parse("https://portal.construtora.com.br/.well-known/cv-plugin/jwks.json")?;
    let endpoint_url = Url::parse("https://portal.construtora.com.br/api/cv-plugin/client-data")?;
    let discovery_json = render_discovery(&issuer_id, &jwks_uri, &endpoint_url, [Algorithm::EdDSA]);
    println!("  A vendor is configured with two values only: the issuer id ({issuer_id})");
    println!("  and its plugin id (financeiro). Everything else it reads from the discovery");
    println!("  document at {}:", discovery_url(&issuer_id)?);
    println!("  {discovery_json}");

    // The portal's client-data endpoint: the same keys, the plugin configurations, and the
    // portal's own lookup of a person's data (below, `cv_database`).
    let endpoint = ClientDataEndpoint::builder(issuer_id.clone(), issuer.jwks().clone())
        .plugins(plugins.iter().cloned())
        .clock(clock.clone())
        .build();

    // ------------------------------------------------------------------------------------------
    section("4. Maria, a cliente, clicks Financeiro: the launch token");

    let maria = Viewer::new(SubjectId::new("48213")?, Role::Cliente);
    let launch = issuer.mint(&financeiro, &maria)?;
    let claims = launch.claims();
    println!(
        "  token ({} bytes): {}…",
        launch.token().len(),
        &launch.token()[..40]
    );
    println!("  It carries identifiers only, never personal data (a token may travel in a URL):");
    println!("    iss (issuer, the portal)   {}", claims.issuer());
    println!("    aud (audience, the plugin) {}", claims.plugin());
    println!("    sub (the person's id)      {}", claims.subject());
    println!("    role                       {}", claims.role());
    println!(
        "    issued at                  {}",
        iso8601(claims.issued_at())
    );
    println!(
        "    expires at                 {}",
        iso8601(claims.expires_at())
    );
    println!("    jti (this token's id)      {}", claims.token_id());
    println!(
        "  Delivery {} (the plugin's setting): the iframe's document is a {}-byte page that",
        launch.delivery(),
        launch.form_post_html().len()
    );
    println!("  POSTs the token to the link, so it never shows in a URL, a log or a Referer.");
    println!(
        "  (With \"query\" the iframe src would be {}…)",
        &launch.launch_url().as_str()[..launch.launch_url().as_str().len().min(70)]
    );

    // ------------------------------------------------------------------------------------------
    section("5. The vendor verifies the token, then asks CV for Maria's data");

    // Discovery: the vendor fetches the document for the issuer it was configured with.
    let discovery = read_discovery(&issuer_id, 200, discovery_json.as_bytes())?;
    // Keys: the vendor fetches `jwks_uri` (here, the same text the portal published).
    let jwks = KeySet::from_jwks_json(&issuer.jwks().to_jwks_json())?;
    let verifier = Verifier::builder(issuer_id.clone(), financeiro.id().clone())
        .key_set(jwks)
        .clock(clock.clone())
        // Single use is a decision: one store for the whole process (RedisReplayGuard when the
        // vendor runs several instances), shared by every verifier.
        .replay_guard(Arc::new(InMemoryReplayGuard::new()))
        .build()?;
    let verified = verifier.verify(launch.token())?;
    println!(
        "  verified: person {} ({}), valid until {}; its jti is now used up at the vendor.",
        verified.subject(),
        verified.role(),
        iso8601(verified.expires_at())
    );

    let request = ClientDataRequest::for_launch(&discovery, &verified, launch.token())?;
    println!("\n  The request (sent without following redirects):");
    println!("    {} {}", request.method(), request.url());
    for (name, value) in request.headers() {
        let shown = if name == "Authorization" {
            "Bearer <the launch token>"
        } else {
            value
        };
        println!("    {name}: {shown}");
    }
    let answer = endpoint.handle(request.headers()[0].1.into(), cv_database);
    print_answer(&answer);
    let data = read_client_data_for(
        &verified,
        answer.status,
        answer.header("WWW-Authenticate"),
        answer.body.as_bytes(),
    )?;
    println!("\n  The portal's lookup also returned Maria's e-mail and phone; the plugin was not");
    if data.email.is_some() || data.phone.is_some() {
        return Err("an ungranted field reached the vendor".into());
    }
    println!("  granted them, so the answer has neither: both are absent.");

    // ------------------------------------------------------------------------------------------
    section("6. The vendor's screen: Financeiro – segunda via de boleto");

    boleto_screen(&data);

    // ------------------------------------------------------------------------------------------
    section("7. What is refused, each with a stable code");

    let again = endpoint.handle(request.headers()[0].1.into(), cv_database);
    refused_at_cv(
        "the same token redeemed again",
        &verified,
        &again,
        "replayed",
    )?;
    let result = verifier.verify(launch.token());
    refused_by_vendor("the vendor verifying it again", result, "replayed")?;

    let joao = Viewer::new(SubjectId::new("77001")?, Role::Cliente);
    let joao_launch = issuer.mint(&financeiro, &joao)?;
    let joao_claims = verifier.verify(joao_launch.token())?;
    let header = format!("Bearer {}", joao_launch.token());
    let answer = endpoint.handle(Some(&header), cv_database);
    refused_at_cv(
        "João, who has no data at CV",
        &joao_claims,
        &answer,
        "client_not_found",
    )?;

    let assistencia = issuer.mint(&plugins[2], &maria)?;
    let result = verifier.verify(assistencia.token());
    refused_by_vendor("a token for another plugin", result, "wrong_audience")?;

    let late = issuer.mint(&financeiro, &maria)?;
    clock.advance(10 * 60);
    println!(
        "\n  The pinned clock moves 10 minutes forward, to {}.",
        iso8601(NOW + 10 * 60)
    );
    let result = verifier.verify(late.token());
    refused_by_vendor("a token minted 10 minutes ago", result, "expired")?;
    let header = format!("Bearer {}", late.token());
    let answer = endpoint.handle(Some(&header), cv_database);
    let code = answer.code().unwrap_or("none");
    println!(
        "  {:<38} {} error[{code}]",
        "…and presented to CV", answer.status
    );
    if code != "expired" {
        return Err(format!("CV answered {code}, not expired").into());
    }
    Ok(())
}

/// The portal's own lookup: a person's data by `sub` and role, or nothing. Here Maria (48213)
/// has data and João (77001) has none. It returns every field CV knows; the endpoint keeps only
/// the ones granted to the plugin.
fn cv_database(sub: &SubjectId, role: Role) -> Option<ClientData> {
    (sub.as_str() == "48213").then(|| ClientData {
        sub: sub.clone(),
        role,
        plugin: "financeiro".parse().expect("a plugin id"),
        name: Some("Maria Souza".into()),
        email: Some("maria.souza@example.com".into()),
        document: TaxDocument::parse("529.982.247-25").ok(),
        phone: Some("+55 11 91234-5678".into()),
        units: Some(vec![Unit {
            empreendimento: "Residencial Ipê".into(),
            bloco: Some("B".into()),
            unidade: "1204".into(),
            contract_id: Some("C-2024-0042".into()),
        }]),
    })
}

fn print_answer(answer: &Answer) {
    println!("\n  The portal's answer:");
    println!("    status {}", answer.status);
    for (name, value) in &answer.headers {
        println!("    {name}: {value}");
    }
    println!("    {}", answer.body);
}

/// What the ERP shows: the person's data from CV, matched to the ERP's own records (here, made
/// up boletos for the contract).
fn boleto_screen(data: &ClientData) {
    let name = data.name.as_deref().unwrap_or("(name not shared)");
    println!("  Olá, {name}.");
    if let Some(document) = &data.document {
        println!("  {} {}", document.kind().to_uppercase(), document.number());
    }
    for unit in data.units.iter().flatten() {
        println!(
            "\n  {} – bloco {} – unidade {} (contrato {})",
            unit.empreendimento,
            unit.bloco.as_deref().unwrap_or("-"),
            unit.unidade,
            unit.contract_id.as_deref().unwrap_or("-")
        );
        println!("    {:<10} {:<12} {:>12}", "parcela", "vencimento", "valor");
        let boletos = [
            ("37/120", NOW + 12 * 86_400, "R$ 2.431,18"),
            ("38/120", NOW + 43 * 86_400, "R$ 2.431,18"),
        ];
        for (parcela, due, amount) in boletos {
            println!(
                "    {:<10} {:<12} {:>12}  [segunda via]",
                parcela,
                &iso8601(due)[..10],
                amount
            );
        }
    }
}

/// Prints the vendor's reading of CV's refusal; an error unless its code is `expected`.
fn refused_at_cv(
    what: &str,
    claims: &LaunchClaims,
    answer: &Answer,
    expected: &str,
) -> Result<(), Box<dyn Error>> {
    let read = read_client_data_for(
        claims,
        answer.status,
        answer.header("WWW-Authenticate"),
        answer.body.as_bytes(),
    );
    let Err(error) = read else {
        return Err(format!("{what}: CV answered {} with data", answer.status).into());
    };
    let code = error.server_code().unwrap_or(error.code());
    println!("  {what:<38} {} error[{code}]: {error}", answer.status);
    if code != expected {
        return Err(format!("{what}: {code}, not {expected}").into());
    }
    Ok(())
}

/// Prints the vendor's refusal; an error unless its code is `expected`.
fn refused_by_vendor(
    what: &str,
    result: Result<LaunchClaims, VerifyError>,
    expected: &str,
) -> Result<(), Box<dyn Error>> {
    let Err(error) = result else {
        return Err(format!("{what}: accepted").into());
    };
    println!("  {what:<38} error[{}]: {error}", error.code());
    if error.code() != expected {
        return Err(format!("{what}: {}, not {expected}", error.code()).into());
    }
    Ok(())
}

fn section(title: &str) {
    println!("\n== {title}\n");
}

fn yes_no(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

/// A plugin on `https://erp.construtora.com.br/<id>`; `flags` is
/// (active, show_in_client_portal, show_in_manager_panel).
fn plugin(
    id: &str,
    title: &str,
    icon: Icon,
    visible_to: VisibleTo,
    flags: (bool, bool, bool),
) -> Result<PluginConfig, Box<dyn Error>> {
    Ok(PluginConfig::builder()
        .id(id)
        .name(title)
        .active(flags.0)
        .link(format!("https://erp.construtora.com.br/{id}"))
        .icon(icon)
        .title(title)
        .show_in_client_portal(flags.1)
        .show_in_manager_panel(flags.2)
        .iframe_size(Dimension::Percent(100), Dimension::Pixels(700))
        .visible_to(visible_to)
        .build()?)
}
