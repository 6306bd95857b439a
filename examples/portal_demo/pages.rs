//! The portal's HTML: the home page with the demo people and the menu, the plugin page with its
//! iframe, error pages; the page script that wires the crate's listener; the stylesheet.

use cv_portal_plugin::config::{Delivery, Icon, PluginConfig};
use cv_portal_plugin::render::IframeAttributes;
use cv_portal_plugin::viewer::Surface;
use cv_portal_plugin::{LaunchToken, Role, menu_for};

use crate::app::Portal;
use crate::common::{escape, script_hash};
use crate::people::{PEOPLE, Person};

/// The portal's page script (served at `/assets/portal.js`): registers the plugin iframe with
/// the crate's listener (`CvPluginPortal.listen`, PROTOCOL.md §13.6), its origin taken from the
/// plugin configuration (`data-cv-plugin-origin`), and mints through
/// `POST /api/plugins/ID/launch-token` with the page's CSRF token.
pub const PORTAL_SCRIPT: &str = r#""use strict";
(function () {
  var csrf = document.querySelector('meta[name="csrf-token"]');
  if (!csrf || typeof CvPluginPortal === "undefined") return;
  CvPluginPortal.listen({
    frames: function () {
      return Array.from(document.querySelectorAll("iframe[data-cv-plugin]"), function (iframe) {
        return {
          iframe: iframe,
          origin: iframe.dataset.cvPluginOrigin,
          mint: function () {
            return fetch("/api/plugins/" + encodeURIComponent(iframe.dataset.cvPlugin) + "/launch-token", {
              method: "POST",
              credentials: "same-origin",
              headers: { "X-CSRF-Token": csrf.content }
            }).then(function (r) {
              return r.ok ? r.json().then(function (body) { return body.token; }) : null;
            }).catch(function () { return null; });
          }
        };
      });
    },
    maxPerMinute: 6
  });
})();
"#;

/// The portal's stylesheet (`/assets/portal.css`).
pub const STYLESHEET: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1d2733;background:#f4f6f8}
header{background:#0b4f6c;color:#fff;padding:.8rem 1.5rem;display:flex;gap:1rem;align-items:center}
header a{color:#fff}
main{padding:1rem 1.5rem}
.people li,.menu li{margin:.3rem 0}
.plugin-link{display:inline-flex;gap:.4rem;align-items:center;padding:.4rem .7rem;border-radius:.4rem;background:#fff;border:1px solid #c6d0da;text-decoration:none;color:#0b4f6c}
.size{color:#5b6b7a;font-size:.85em}
iframe{border:1px solid #c6d0da;background:#fff;max-width:100%}
.icon{font-size:.7rem;text-transform:uppercase;letter-spacing:.04em;background:#0b4f6c;color:#fff;border-radius:.3rem;padding:.1rem .35rem;vertical-align:middle}
";

/// The portal's `Content-Security-Policy`: scripts and styles from the portal only (plus the
/// form-POST delivery's inline auto-submit, by hash, when the page has one), plugin frames and
/// form posts only to the configured plugin origins, no framing of the portal.
pub fn content_security_policy(portal: &Portal, inline_script: Option<&str>) -> String {
    let origins = portal.plugin_origins.join(" ");
    let inline = inline_script.map(|h| format!(" {h}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'{inline}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; frame-src {origins}; form-action 'self' {origins}; base-uri 'none'; \
         object-src 'none'; frame-ancestors 'none'"
    )
}

fn layout(title: &str, person: Option<&Person>, csrf: Option<&str>, main: &str) -> String {
    let who = match person {
        Some(person) => format!(
            "<span id=\"who\" data-person=\"{}\">{} ({})</span> <a id=\"logout\" href=\"/logout\">Sair</a>",
            escape(person.login),
            escape(person.display),
            role_label(person.role)
        ),
        None => "<span id=\"who\"></span>".to_owned(),
    };
    let csrf = csrf
        .map(|token| format!("<meta name=\"csrf-token\" content=\"{}\">\n", escape(token)))
        .unwrap_or_default();
    format!(
        "<!DOCTYPE html>\n<html lang=\"pt-BR\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n{csrf}<title>{title} · Portal demo</title>\n\
         <link rel=\"stylesheet\" href=\"/assets/portal.css\">\n</head>\n<body>\n\
         <header><a href=\"/\"><strong>Portal demo</strong></a> {who}</header>\n\
         <main>\n{main}\n</main>\n</body>\n</html>\n",
        title = escape(title),
    )
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Cliente => "cliente",
        Role::Sindico => "síndico",
        Role::Gestor => "gestor",
        _ => "outro papel",
    }
}

fn surface_label(role: Role) -> &'static str {
    match Surface::of(role) {
        Surface::ManagerPanel => "Portal do Gestor",
        _ => "Portal do Cliente",
    }
}

/// A menu icon as a small badge with its pt-BR label (headless browsers often lack emoji fonts).
fn icon_badge(icon: Icon) -> String {
    format!(
        "<span class=\"icon\" data-icon=\"{}\" aria-hidden=\"true\">{}</span>",
        icon.as_str(),
        escape(icon.label_pt_br())
    )
}

/// The home page: the demo people with their login links; when someone is logged in, their
/// menu (the crate's `menu_for`: icons, titles, iframe sizes).
pub fn home(portal: &Portal, person: Option<&Person>) -> String {
    let mut main = String::new();
    if let Some(person) = person {
        let entries = menu_for(&portal.plugins, person.role);
        main.push_str(&format!(
            "<h1 id=\"surface\" data-surface=\"{}\">{}</h1>\n<nav id=\"menu\" class=\"menu\" aria-label=\"Plugins\">\n<ul>\n",
            match Surface::of(person.role) {
                Surface::ManagerPanel => "manager_panel",
                _ => "client_portal",
            },
            surface_label(person.role)
        ));
        for entry in &entries {
            let frame = IframeAttributes::for_plugin(entry.config());
            main.push_str(&format!(
                "<li><a class=\"plugin-link\" data-plugin=\"{id}\" href=\"/plugins/{id}\">\
                 {icon} {title}</a> \
                 <span class=\"size\">iframe {width} × {height}</span></li>\n",
                id = escape(entry.id().as_str()),
                icon = icon_badge(entry.icon()),
                title = escape(entry.title()),
                width = escape(&frame.width().html_attribute_value()),
                height = escape(&frame.height().html_attribute_value()),
            ));
        }
        if entries.is_empty() {
            main.push_str("<li id=\"no-plugins\">Nenhum plugin para você.</li>\n");
        }
        main.push_str("</ul>\n</nav>\n");
    }
    main.push_str("<h2>Pessoas de demonstração</h2>\n<ul class=\"people\">\n");
    for p in PEOPLE {
        main.push_str(&format!(
            "<li><a class=\"login\" data-person=\"{login}\" href=\"/login?as={login}\">Entrar como {login}</a>: {display}, {about}</li>\n",
            login = escape(p.login),
            display = escape(p.display),
            about = escape(p.about),
        ));
    }
    main.push_str("</ul>\n");
    layout("Início", person, None, &main)
}

/// The plugin page: the iframe with the launch token (query delivery: the launch URL as `src`;
/// form POST: the crate's auto-submitting form as `srcdoc`, posting into the frame), the crate's
/// listener script and the page script that registers the frame. Returns the page and, for the
/// form POST, the CSP hash source of its inline auto-submit.
pub fn plugin(
    portal: &Portal,
    person: &Person,
    plugin: &PluginConfig,
    launch: &LaunchToken,
    csrf: &str,
) -> Result<(String, Option<String>), String> {
    let origin = plugin.link().origin().ascii_serialization();
    let (attributes, srcdoc, inline_script) = match launch.delivery() {
        Delivery::FormPost => {
            let document = launch.form_post_html();
            let hash = inline_script_of(&document).map(script_hash);
            (IframeAttributes::for_plugin(plugin), Some(document), hash)
        }
        _ => {
            let attributes = IframeAttributes::new(plugin, launch.launch_url())
                .map_err(|e| format!("{} ({})", e, e.code()))?;
            (attributes, None, None)
        }
    };
    let mut iframe = format!(
        "<iframe id=\"plugin-frame\" name=\"plugin-frame\" data-cv-plugin=\"{}\" data-cv-plugin-origin=\"{}\" data-delivery=\"{}\"",
        escape(plugin.id().as_str()),
        escape(&origin),
        if srcdoc.is_some() {
            "form_post"
        } else {
            "query"
        },
    );
    for (name, value) in attributes.attributes() {
        let (name, value) = match (name, &srcdoc) {
            ("src", Some(document)) => ("srcdoc", document.clone()),
            _ => (name, value),
        };
        // One line: a `srcdoc` document's line breaks written as character references.
        let value = escape(&value).replace('\n', "&#10;");
        iframe.push_str(&format!(" {name}=\"{value}\""));
    }
    iframe.push_str("></iframe>");
    let main = format!(
        "<p><a href=\"/\">← {surface}</a></p>\n<h1 id=\"plugin-title\">{icon} {title}</h1>\n{iframe}\n\
         <script src=\"/assets/cv-plugin-portal.js\"></script>\n<script src=\"/assets/portal.js\"></script>",
        surface = surface_label(person.role),
        icon = icon_badge(plugin.icon()),
        title = escape(plugin.title()),
    );
    let _ = portal;
    Ok((
        layout(plugin.title(), Some(person), Some(csrf), &main),
        inline_script,
    ))
}

/// The text of the one inline `<script>` of `document` (the crate's form-POST page).
fn inline_script_of(document: &str) -> Option<&str> {
    let start = document.find("<script>")? + "<script>".len();
    let end = start + document[start..].find("</script>")?;
    Some(&document[start..end])
}

/// An error page: `<h1 id="error">` and a message.
pub fn error(title: &str, message: &str) -> String {
    layout(
        title,
        None,
        None,
        &format!(
            "<h1 id=\"error\">{}</h1>\n<p>{}</p>\n<p><a href=\"/\">Voltar ao início</a></p>",
            escape(title),
            escape(message)
        ),
    )
}
