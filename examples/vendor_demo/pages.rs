//! The vendor's HTML: the boleto page, the error pages; the page's own script, which starts the
//! crate's page script (`CvPluginPage.start`) and drives the buttons; the stylesheet.

use crate::app::Customer;
use crate::boletos;
use crate::common::escape;

/// The page's script (`/assets/vendor.js`). It starts `CvPluginPage` with the portal origin and
/// the session rendered into the page (which also removes `token` from the address), then:
///
/// - loads `/api/boletos` over `cv.fetch` (bearer; renewed through the portal on a 401);
/// - "Baixar PDF": `POST /api/boletos/ID/ticket` over `cv.fetch`, then downloads
///   `/boletos/ID/pdf?ticket=…` (a link cannot carry the bearer; the ticket is single use);
/// - "Enviar 2ª via por e-mail": checks the session over `cv.fetch` (renewing it if it ended),
///   puts it in the form's `session` field and submits the form (a same-origin form POST, as the
///   bounce page's).
pub const VENDOR_SCRIPT: &str = r#""use strict";
(function () {
  function meta(name) {
    var m = document.querySelector('meta[name="' + name + '"]');
    return m ? m.content : null;
  }
  var status = document.getElementById("api-status");
  function say(text) { if (status) status.textContent = text; }
  function why(e) { return (e && (e.code || e.message)) || "erro"; }
  function ok(r) {
    if (!r.ok) { var e = new Error("HTTP " + r.status); e.status = r.status; throw e; }
    return r.json();
  }
  var cv;
  try {
    cv = CvPluginPage.start({
      portalOrigin: meta("cv-portal-origin"),
      exchangeUrl: "/cv/exchange",
      session: meta("cv-session") || undefined,
      requestTimeoutMs: 10000
    });
  } catch (e) {
    say("Erro de configuração (" + why(e) + ").");
    return;
  }
  window.cvPluginPage = cv;
  cv.fetch("/api/boletos", { headers: { Accept: "application/json" } }).then(ok).then(function (body) {
    document.body.dataset.apiBoletos = String(body.boletos.length);
    say("Boletos conferidos pela API: " + body.boletos.length + ".");
  }).catch(function (e) { say("Não foi possível carregar os boletos (" + why(e) + ")."); });

  Array.prototype.forEach.call(document.querySelectorAll("button.pdf"), function (button) {
    button.addEventListener("click", function () {
      var id = button.dataset.id;
      say("Preparando o PDF do boleto " + id + "…");
      cv.fetch("/api/boletos/" + encodeURIComponent(id) + "/ticket", {
        method: "POST", headers: { Accept: "application/json" }
      }).then(ok).then(function (body) {
        var a = document.createElement("a");
        a.href = body.url;
        a.download = body.filename;
        document.body.appendChild(a);
        a.click();
        a.remove();
        say("Download do boleto " + id + " iniciado.");
      }).catch(function (e) { say("Falha no download (" + why(e) + ")."); });
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll("form.email-form"), function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      say("Enviando a 2ª via…");
      cv.fetch("/api/session", { headers: { Accept: "application/json" } }).then(ok).then(function () {
        form.elements.session.value = cv.session();
        form.submit();
      }).catch(function (e) { say("Falha ao enviar (" + why(e) + ")."); });
    });
  });
  document.documentElement.dataset.cvReady = "1";
})();
"#;

/// The error pages' script (`/assets/strip-token.js`): removes `token` from the address, as the
/// boleto page's script does. A refusal that did not spend the token (`keys_unavailable`, 503)
/// would otherwise leave a still-valid token in the frame's address and session history.
pub const STRIP_TOKEN_SCRIPT: &str = r#""use strict";
(function () {
  var url = new URL(location.href);
  if (!url.searchParams.has("token")) return;
  url.searchParams.delete("token");
  history.replaceState(history.state, "", url.pathname + url.search + url.hash);
})();
"#;

/// The vendor's stylesheet (`/assets/vendor.css`).
pub const STYLESHEET: &str =
    "body{font-family:system-ui,sans-serif;margin:1rem 1.5rem;color:#1f2a1f}
h1{font-size:1.4rem}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #d5dcd5;padding:.45rem;text-align:left}
.pago{color:#2f7d32}.em-aberto{color:#b45309}
form.email-form{display:inline}
#notice{background:#e8f5e9;padding:.5rem .8rem;border-radius:.3rem}
#error{color:#9b1c1c}
";

fn layout(title: &str, head: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"pt-BR\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n{head}<title>{}</title>\n\
         <link rel=\"stylesheet\" href=\"/assets/vendor.css\">\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        escape(title)
    )
}

/// What the boleto page shows.
pub struct BoletosPage<'a> {
    pub portal_origin: &'a str,
    /// The session token, rendered into `<meta name="cv-session">` for the page script.
    pub session: &'a str,
    pub plugin: &'a str,
    pub subject: &'a str,
    pub customer: &'a Customer,
    /// A notice at the top (the e-mail was sent).
    pub notice: Option<String>,
}

/// The boleto page: `<h1 id="who">` with the person's name, `<table id="boletos">` with one
/// `<tr class="boleto" data-id="…">` per boleto, the buttons, the scripts.
pub fn boletos_page(page: &BoletosPage<'_>) -> String {
    let name = page
        .customer
        .name
        .clone()
        .unwrap_or_else(|| format!("Cliente {}", page.subject));
    let mut rows = String::new();
    for boleto in boletos::boletos_of(page.subject) {
        let id = escape(&boleto.id);
        rows.push_str(&format!(
            "<tr class=\"boleto\" data-id=\"{id}\"><td>{id}</td><td>{due}</td><td>{amount}</td>\
             <td class=\"{class}\">{status}</td><td><code>{line}</code></td>\
             <td><button type=\"button\" class=\"pdf\" data-id=\"{id}\">Baixar PDF</button> \
             <form class=\"email-form\" method=\"post\" action=\"/boletos/{id}/email\">\
             <input type=\"hidden\" name=\"session\" value=\"\">\
             <button type=\"submit\" class=\"email\" data-id=\"{id}\">Enviar 2ª via por e-mail</button></form></td></tr>\n",
            due = escape(&boleto.due),
            amount = escape(&boleto.amount),
            class = boleto.status.replace(' ', "-"),
            status = boleto.status,
            line = escape(&boleto.line),
        ));
    }
    let units = match page.customer.units {
        Some(n) => format!("<p id=\"units\">Unidades no CV: {n}</p>\n"),
        None => String::new(),
    };
    let notice = page
        .notice
        .as_deref()
        .map(|text| format!("<p id=\"notice\" role=\"status\">{}</p>\n", escape(text)))
        .unwrap_or_default();
    let head = format!(
        "<meta name=\"cv-session\" content=\"{}\">\n<meta name=\"cv-portal-origin\" content=\"{}\">\n",
        escape(page.session),
        escape(page.portal_origin),
    );
    let body = format!(
        "<p class=\"app\" data-plugin=\"{plugin}\">Financeiro: 2ª via do boleto</p>\n\
         <h1 id=\"who\" data-subject=\"{subject}\">{name}</h1>\n{notice}{units}\
         <table id=\"boletos\">\n<thead><tr><th>Boleto</th><th>Vencimento</th><th>Valor</th>\
         <th>Situação</th><th>Linha digitável</th><th></th></tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n\
         <p><a id=\"reload\" href=\"/boletos\">Atualizar</a></p>\n\
         <p id=\"api-status\" aria-live=\"polite\"></p>\n\
         <script src=\"/assets/cv-plugin-page.js\"></script>\n<script src=\"/assets/vendor.js\"></script>",
        plugin = escape(page.plugin),
        subject = escape(page.subject),
        name = escape(&name),
    );
    layout("Financeiro: 2ª via do boleto", &head, &body)
}

/// A human message, in pt-BR, for each error code.
pub fn message(code: &str) -> &'static str {
    match code {
        "replayed" => "Este acesso já foi usado. Abra o plugin novamente pelo portal.",
        "expired" => "O acesso expirou. Abra o plugin novamente pelo portal.",
        "not_yet_valid" | "issued_in_future" => {
            "O acesso ainda não é válido: confira o relógio do servidor."
        }
        "bad_signature" => "A assinatura do acesso não confere.",
        "unknown_kid" => "O acesso foi assinado com uma chave desconhecida.",
        "unknown_issuer" | "wrong_issuer" => "Este acesso vem de um portal que não conhecemos.",
        "wrong_audience" => "Este acesso é de outro plugin.",
        "malformed" | "invalid_request" => "O acesso está ausente ou malformado.",
        "wrong_delivery" => {
            "Este acesso chegou por um caminho que este plugin não aceita. Abra o plugin \
             novamente pelo portal."
        }
        "keys_unavailable" | "replay_store_unavailable" | "replay_capacity_exceeded" => {
            "Não foi possível conferir o acesso agora. Tente de novo em instantes."
        }
        "client_not_found" => "O CV não tem dados de cliente para você. Nada a mostrar.",
        "plugin_inactive" | "not_visible_to_viewer" => {
            "Este plugin não está disponível para você no portal."
        }
        "credential_origin_mismatch" => "Pedido recusado: ele não veio desta aplicação.",
        "credential_missing" => "Sua sessão não foi enviada. Abra o plugin novamente pelo portal.",
        "session_store_unavailable" => "Não foi possível conferir a sessão agora. Tente de novo.",
        "ticket_replayed" => "Este link de download já foi usado. Baixe o boleto de novo.",
        "not_found" => "Página não encontrada.",
        code if code.starts_with("ticket_") => {
            "O link de download expirou ou é inválido. Baixe o boleto de novo."
        }
        code if code.starts_with("session_") || code.starts_with("credential_") => {
            "Sua sessão terminou ou é inválida. Abra o plugin novamente pelo portal."
        }
        "connection_refused" | "timeout" | "tls_failure" | "host_not_found"
        | "transport_failure" | "portal_unavailable" | "lookup_unavailable" => {
            "O portal não respondeu. Tente de novo em instantes."
        }
        _ => "Não foi possível abrir o plugin.",
    }
}

/// The error page of `code`: `<h1 id="error">` with a human message, `<code id="error-code">`,
/// and a way back through the portal (the bounce page renews the session), never any data. Its
/// script removes `token` from the address.
pub fn error(code: &str) -> String {
    let body = format!(
        "<p class=\"app\">Financeiro: 2ª via do boleto</p>\n<h1 id=\"error\">{}</h1>\n\
         <p>Código: <code id=\"error-code\">{}</code></p>\n\
         <p><a id=\"retry\" href=\"/boletos\">Abrir novamente pelo portal</a></p>\n\
         <script src=\"/assets/strip-token.js\"></script>",
        escape(message(code)),
        escape(code)
    );
    layout("Erro · Financeiro", "", &body)
}

/// A page with a notice only.
pub fn notice_page(text: &str) -> String {
    layout(
        "Financeiro: 2ª via do boleto",
        "",
        &format!(
            "<p id=\"notice\" role=\"status\">{}</p>\n<p><a href=\"/boletos\">Voltar aos boletos</a></p>",
            escape(text)
        ),
    )
}

/// `GET /`: the vendor is opened through the portal.
pub fn index() -> String {
    layout(
        "Financeiro: 2ª via do boleto",
        "",
        "<h1>Financeiro: 2ª via do boleto</h1>\n<p>Este aplicativo abre dentro do portal: entre no \
         portal e escolha \"Financeiro\" no menu.</p>",
    )
}
