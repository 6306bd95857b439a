//! Target `launch_url`: a launch token minted for an arbitrary plugin configuration and viewer.
//!
//! Input: role (byte % 3), flags (bit 0: inactive, bit 1: shown in the client portal, bit 2: in
//! the manager panel, bit 3: lifetime taken raw), visible-to (byte % 3), lifetime (u16), then the
//! link, the plugin id and the subject id, separated by NUL bytes.
//!
//! Properties:
//! - minting succeeds exactly when the plugin is active and shown to the viewer's role;
//! - the launch URL parses back to itself, keeps the link's origin, path and query pairs (in
//!   order), has no fragment or userinfo, and carries exactly one `token` parameter, last, equal
//!   to the token;
//! - that token verifies for the plugin (real keys) with the minted claims: the viewer's subject
//!   and role, the plugin's id and lifetime;
//! - the form-post page has exactly the template's markup characters (`<`, `>`, `"`, `'`): the
//!   link and the token cannot add any, and both read back from their attributes unchanged.

use std::sync::OnceLock;
use std::time::Duration;

use cv_portal_plugin::config::{Dimension, Icon, PluginConfig, VisibleTo};
use cv_portal_plugin::{IssueError, Issuer, Role, SubjectId, Verifier, Viewer};

use super::{Input, fixture};

const MARKUP: [char; 4] = ['<', '>', '"', '\''];

struct State {
    issuer: Issuer,
    /// How many of each markup character the form-post template has.
    template_markup: [usize; 4],
}

fn markup_counts(html: &str) -> [usize; 4] {
    MARKUP.map(|c| html.matches(c).count())
}

fn state() -> &'static State {
    static STATE: OnceLock<State> = OnceLock::new();
    let fx = fixture();
    STATE.get_or_init(|| {
        let issuer = Issuer::builder(fx.issuer.clone(), fx.ed25519.clone())
            .clock(fx.clock.clone())
            .build()
            .expect("issuer");
        let plain = build(0b110, VisibleTo::Cliente, 300, "https://a.example/p", "p")
            .expect("plain plugin");
        let viewer = Viewer::new(SubjectId::new("1").expect("subject"), Role::Cliente);
        let html = issuer
            .mint(&plain, &viewer)
            .expect("plain mint")
            .form_post_html();
        State {
            template_markup: markup_counts(&html),
            issuer,
        }
    })
}

/// A plugin from fuzzed fields (`None` when the builder refuses them).
fn build(
    flags: u8,
    visible_to: VisibleTo,
    lifetime: u64,
    link: &str,
    id: &str,
) -> Option<PluginConfig> {
    PluginConfig::builder()
        .id(id)
        .name("Plugin")
        .link(link)
        .icon(Icon::Alerta)
        .title("Plugin")
        .active(flags & 1 == 0)
        .show_in_client_portal(flags & 2 != 0)
        .show_in_manager_panel(flags & 4 != 0)
        .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
        .visible_to(visible_to)
        .token_lifetime(Duration::from_secs(lifetime))
        .build()
        .ok()
}

fn unescape(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The text between `prefix` and the next `"` in `html`.
fn attribute<'a>(html: &'a str, prefix: &str) -> &'a str {
    let start = html.find(prefix).expect("attribute present") + prefix.len();
    let len = html[start..].find('"').expect("attribute closed");
    &html[start..start + len]
}

/// The property of target `launch_url`.
pub fn check(data: &[u8]) {
    let fx = fixture();
    let state = state();
    let mut input = Input(data);
    let role = Role::ALL[usize::from(input.byte() % 3)];
    let flags = input.byte();
    let visible_to = [
        VisibleTo::Cliente,
        VisibleTo::Sindico,
        VisibleTo::ClienteESindico,
    ][usize::from(input.byte() % 3)];
    let raw_lifetime = input.u16();
    let lifetime = if flags & 8 != 0 {
        u64::from(raw_lifetime)
    } else {
        30 + u64::from(raw_lifetime) % 3571
    };
    let (link, id, subject) = (input.text(), input.text(), input.text());
    let Some(config) = build(flags, visible_to, lifetime, &link, &id) else {
        return;
    };
    let subject = SubjectId::new(subject).unwrap_or_else(|_| SubjectId::new("48213").expect("id"));
    let viewer = Viewer::new(subject, role);

    let launch = match state.issuer.mint(&config, &viewer) {
        Ok(launch) => {
            assert!(
                config.is_active() && config.is_shown_to(role),
                "minted for a hidden plugin"
            );
            launch
        }
        Err(IssueError::PluginInactive) => return assert!(!config.is_active()),
        Err(IssueError::NotVisibleToViewer { role: r }) => {
            assert_eq!(r, role);
            return assert!(config.is_active() && !config.is_shown_to(role));
        }
        Err(other) => panic!("mint failed: {other:?}"),
    };
    let token = launch.token();

    // The launch URL.
    let link = config.link();
    let url = launch.launch_url();
    assert_eq!(
        url::Url::parse(url.as_str()).as_ref(),
        Ok(url),
        "launch URL does not reparse"
    );
    assert_eq!(url.origin(), link.origin(), "origin changed");
    assert_eq!(url.path(), link.path(), "path changed");
    assert!(url.fragment().is_none() && url.username().is_empty() && url.password().is_none());
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let kept: Vec<(String, String)> = link.query_pairs().into_owned().collect();
    assert_eq!(
        pairs.iter().filter(|(name, _)| name == "token").count(),
        1,
        "token count"
    );
    assert_eq!(
        pairs.last(),
        Some(&("token".to_owned(), token.to_owned())),
        "token pair"
    );
    assert_eq!(
        pairs[..pairs.len() - 1],
        kept[..],
        "the link's query pairs changed"
    );
    if let Some(query) = link.query().filter(|q| !q.is_empty()) {
        assert!(
            url.query().is_some_and(|q| q.starts_with(query)),
            "the link's query was rewritten"
        );
    }

    // The token verifies for this plugin with the minted claims.
    let verifier = Verifier::builder(fx.issuer.clone(), config.id().clone())
        .key_set(state.issuer.jwks().clone())
        .clock(fx.clock.clone())
        .replay_guard(std::sync::Arc::new(
            cv_portal_plugin::InMemoryReplayGuard::new(),
        ))
        .build()
        .expect("verifier");
    let claims = verifier.verify(token).expect("a minted token verifies");
    assert_eq!(&claims, launch.claims());
    assert_eq!(claims.subject(), viewer.subject());
    assert_eq!(claims.role(), role);
    assert_eq!(claims.plugin(), config.id());
    assert_eq!(
        claims.expires_at() - claims.issued_at(),
        config.token_lifetime().as_secs() as i64
    );

    // The form-post page.
    let html = launch.form_post_html();
    assert_eq!(
        markup_counts(&html),
        state.template_markup,
        "the inputs added markup"
    );
    assert_eq!(
        unescape(attribute(&html, "action=\"")),
        link.as_str(),
        "form action"
    );
    assert_eq!(
        unescape(attribute(&html, "name=\"token\" value=\"")),
        token,
        "form token"
    );
}
