//! Quickstart: the whole flow. Configure plugins, see what goes wrong with a bad one, see which
//! menu each viewer gets; then the portal makes keys and publishes its JWKS, a cliente opens
//! Financeiro, and the vendor verifies the launch token, rejecting a replay, a token for another
//! plugin and an expired one, each with its stable code.
//!
//! Run with `cargo run --example quickstart`.

use std::error::Error;
use std::sync::Arc;

use cv_portal_plugin::config::{Dimension, Icon, PluginConfig, VisibleTo};
use cv_portal_plugin::menu::menu_for;
use cv_portal_plugin::render::IframeAttributes;
use cv_portal_plugin::{
    Algorithm, FixedClock, Issuer, IssuerId, KeySet, Role, SigningKey, SubjectId, Verifier, Viewer,
};

fn main() -> Result<(), Box<dyn Error>> {
    // ------------------------------------------------------------------------------------------
    println!("== 1. A valid plugin: Financeiro (segunda via de boleto)\n");

    let financeiro = PluginConfig::builder()
        .id("financeiro")
        .name("Financeiro – segunda via de boleto")
        .link("https://erp.construtora.com.br/portal/financeiro?empresa=42")
        .icon(Icon::Boleto)
        .title("Financeiro")
        .show_in_client_portal(true)
        .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
        .visible_to(VisibleTo::ClienteESindico)
        .build()?;

    println!("{}\n", financeiro.to_json_pretty());
    println!(
        "Its iframe:\n{}\n",
        IframeAttributes::for_plugin(&financeiro)
    );

    // ------------------------------------------------------------------------------------------
    println!("== 2. An invalid plugin: every problem at once, in English and Portuguese\n");

    let bad_json = r#"{
        "id": "financeiro 2",
        "name": "   ",
        "active": true,
        "link": "http://admin:senha@erp.construtora.com.br/portal#boletos",
        "icon": "sino",
        "title": "Financeiro",
        "show_in_client_portal": true,
        "show_in_manager_panel": false,
        "kind": "popup",
        "iframe_size": {"width": "100000px", "height": "250%"},
        "visible_to": "todos",
        "auth": {"type": "token", "token_lifetime_seconds": 86400}
    }"#;

    match PluginConfig::from_json(bad_json) {
        Ok(_) => println!("unexpectedly valid"),
        Err(errors) => {
            println!("{} problems:\n", errors.len());
            for error in &errors {
                println!("  {:<34} at {}", error.code(), error.path());
                println!("    en:    {}", error.message_en());
                println!("    pt-BR: {}", error.message_pt_br());
            }
            println!();
        }
    }

    // ------------------------------------------------------------------------------------------
    println!("== 3. Menus: what a cliente, a síndico and a gestor see\n");

    let plugins = [
        financeiro.clone(),
        // (id, title, icon, visible_to, active, show_in_client_portal, show_in_manager_panel)
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
        "  {:<12} {:<7} {:<14} {:<14} visible to",
        "plugin", "active", "client portal", "manager panel"
    );
    for p in &plugins {
        println!(
            "  {:<12} {:<7} {:<14} {:<14} {}",
            p.id(),
            yes_no(p.is_active()),
            yes_no(p.show_in_client_portal()),
            yes_no(p.show_in_manager_panel()),
            p.visible_to().label_pt_br()
        );
    }
    println!();

    for &role in Role::ALL {
        let titles: Vec<String> = menu_for(&plugins, role)
            .iter()
            .map(|entry| format!("{} [{}]", entry.title(), entry.icon()))
            .collect();
        println!("  {:<8} sees: {}", role.as_str(), titles.join(", "));
    }

    // ------------------------------------------------------------------------------------------
    println!("\n== 4. The portal's signing key and its published JWKS\n");

    // A fixed clock so the expiry step below can move time forward; production uses the system
    // clock (the default).
    let clock = Arc::new(FixedClock::new(1_764_288_000));
    let issuer_id = IssuerId::new("https://portal.construtora.com.br")?;
    let issuer = Issuer::builder(issuer_id.clone(), SigningKey::generate(Algorithm::EdDSA)?)
        .clock(clock.clone())
        .build()?;
    println!("  signing key kid: {}", issuer.kid());
    println!(
        "  JWKS (publish at a URL the vendors fetch):\n  {}",
        issuer.jwks().to_jwks_json()
    );

    // ------------------------------------------------------------------------------------------
    println!("\n== 5. A cliente opens Financeiro: the launch token and URL\n");

    let maria = Viewer::new(SubjectId::new("48213")?, Role::Cliente);
    let launch = issuer.mint(&financeiro, &maria)?;
    let claims = launch.claims();
    println!(
        "  token ({} bytes): {}…",
        launch.token().len(),
        &launch.token()[..48]
    );
    println!(
        "  claims: iss={} aud={} sub={} role={} iat={} exp={} jti={}",
        claims.issuer(),
        claims.plugin(),
        claims.subject(),
        claims.role(),
        claims.issued_at(),
        claims.expires_at(),
        claims.token_id()
    );
    println!(
        "  launch URL (the iframe src): {}…",
        &launch.launch_url().as_str()[..96]
    );
    println!(
        "  or, leak-resistant: a {}-byte auto-submitting form POST page",
        launch.form_post_html().len()
    );

    // ------------------------------------------------------------------------------------------
    println!("\n== 6. The vendor verifies it\n");

    // The vendor has only the public JWKS text, the portal's issuer id and its own plugin id.
    let jwks = KeySet::from_jwks_json(&issuer.jwks().to_jwks_json())?;
    let verifier = Verifier::builder(issuer_id, financeiro.id().clone())
        .key_set(jwks)
        .clock(clock.clone())
        .build()?;
    let verified = verifier.verify(launch.token())?;
    println!(
        "  accepted: person {} ({}) may see their own Financeiro data; the token expired at {} (Unix time)",
        verified.subject(),
        verified.role(),
        verified.expires_at()
    );

    // ------------------------------------------------------------------------------------------
    println!("\n== 7. What the vendor rejects, with stable codes\n");

    let show = |what: &str, token: &str| match verifier.verify(token) {
        Ok(_) => println!("  {what:<28} accepted (unexpected!)"),
        Err(error) => println!("  {what:<28} error[{}]: {error}", error.code()),
    };
    show("the same token again", launch.token());

    let assistencia = &plugins[2];
    let other = issuer.mint(assistencia, &maria)?;
    show("a token for another plugin", other.token());

    let late = issuer.mint(&financeiro, &maria)?;
    clock.advance(10 * 60);
    show("a token 10 minutes later", late.token());
    Ok(())
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
