//! The command line: clap definitions of every subcommand, option and help text.
//!
//! The interface is fixed by issue 4 (scripts depend on it); options may be added, never renamed.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use cv_portal_plugin::{Algorithm, Role};

/// Exit codes and error codes, shown at the end of `cvplugin --help`.
const EXIT_CODES_HELP: &str = "\
Exit status:
  0  success
  1  the token or the plugin configuration was rejected, or a portal refused or answered
     what the protocol does not allow (discovery, client-data)
  2  usage, I/O or key-file error, or the network: no connection, no TLS session, no answer in
     time

On failure the first line on stderr is `error[CODE]: message`; lines after it may start with
`hint:` (what was most likely done wrong, and the fix). With exit status 1, CODE is the
library's stable code (`expired`, `bad_signature`, `wrong_audience`, `link_not_https`, ...) or,
for client-data, the code the portal answered with (`replayed`, `client_not_found`,
`plugin_inactive`, ...) else the library's (`discovery_issuer_mismatch`, `http_status`,
`response_too_large`, `data_unexpected_status`, ...). With exit status 2, CODE is one of:
  usage                      a bad command line or argument value (including --issuer, --subject,
                             --plugin)
  io                         a file or stdin could not be read or written (missing, too large,
                             not UTF-8, already exists, ...)
  key                        a key file is neither a JWK, a JWKS, a PEM block nor PKCS#8 DER
  <key error code>           the key or JWKS file was recognized but rejected: invalid_jwk,
                             invalid_pem, invalid_pkcs8, kid_mismatch, duplicate_kid, ...;
                             private_key_in_public_set for a private key given to verify --jwks
  auth_*                     --ttl rejected by the plugin-configuration rules
  leeway_too_large           --leeway above 300 seconds
  jti_generation_failed, signing_failed, clock_out_of_range
                             the system could not mint a token
  no_signing_key             mint or launch-url: no --key of the plugin's algorithm (EdDSA or
                             ES256); config check --key reports it with exit status 1
  data_url_not_https, data_url_invalid
                             --issuer of discovery or client-data is not an https URL (http only
                             for localhost, 127.0.0.0/8, [::1])
  connection_refused, host_not_found, tls_failure, timeout, transport_failure
                             the portal could not be reached or did not answer (network)
  root_certificate_invalid   --ca-cert holds no usable PEM CERTIFICATE
  http_client_setup_failed   no root certificate could be loaded from the system

Round trip:
  cvplugin keygen --out portal.jwk
  cvplugin jwks portal.jwk > jwks.json
  cvplugin mint --key portal.jwk --issuer https://portal.example.com.br --plugin financeiro \\
      --subject 48213 --role cliente \\
    | cvplugin verify --jwks jwks.json --issuer https://portal.example.com.br --plugin financeiro

From a vendor's shell, against a running portal:
  cvplugin discovery --issuer https://portal.example.com.br
  cvplugin client-data --issuer https://portal.example.com.br --plugin financeiro --token \"$TOKEN\"";

/// Keys, launch tokens, plugin configurations and portal exchanges of the CV portal plugin
/// protocol.
#[derive(Debug, Parser)]
#[command(name = "cvplugin", version, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a portal signing key and write it as a private JWK (with kid, alg and use).
    #[command(after_help = "\
With --out, the key is written to FILE with mode 0600 (never over an existing file unless --force,
which replaces it atomically) and its kid is printed on stdout. Without --out the private JWK is
printed on stdout.

Examples:
  cvplugin keygen --out portal-2025.jwk
  cvplugin keygen --alg ES256 --out portal-p256.jwk
  KID=$(cvplugin keygen --out next.jwk)")]
    Keygen(KeygenArgs),

    /// Print the public JWKS (RFC 7517) of key files, to publish for vendors.
    #[command(after_help = "\
Each KEYFILE may be a private JWK (as written by `cvplugin keygen`), a public JWK, a JWKS document
or a PKCS#8 private key (PEM `PRIVATE KEY` block or DER). Only public members are printed. Two
keys with the same kid are an error (exit 2, `error[duplicate_kid]`).

Examples:
  cvplugin jwks portal.jwk > jwks.json
  cvplugin jwks current.jwk next.jwk > jwks.json     # before a rotation")]
    Jwks(JwksArgs),

    /// Mint a launch token and print it alone on stdout.
    #[command(after_help = "\
mint needs no plugin configuration: it mints as if for a plugin with id --plugin, the placeholder
link https://plugin.invalid/, visible to cliente and síndico in the client portal and shown in the
manager panel, with a token lifetime of --ttl seconds (30 to 3600; `error[auth_lifetime_out_of_range]`
and exit 2 otherwise), signed with the plugin's algorithm: --alg, or the first --key's algorithm.
--key may be given once per algorithm, as a portal holds one signing key per algorithm; with no
--key of --alg's algorithm the exit status is 2 with `error[no_signing_key]`, and nothing is
signed with another algorithm. To mint exactly as the portal would for a configured plugin, use
`cvplugin launch-url`.

Examples:
  cvplugin mint --key portal.jwk --issuer https://portal.example.com.br \\
      --plugin financeiro --subject 48213 --role cliente --ttl 60
  cvplugin mint --key portal.jwk --key portal-p256.jwk --alg ES256 \\
      --issuer https://portal.example.com.br --plugin boletos-net --subject 48213 --role cliente")]
    Mint(MintArgs),

    /// Verify a launch token as a vendor would, and print its claims as JSON.
    #[command(after_help = "\
The token is read from TOKEN, or from stdin when TOKEN is absent or `-`. Surrounding whitespace is
ignored, with a `warning:` line on stderr unless it is the line end of stdin, since the library
refuses it. Nothing else is repaired: a token in quotes, after `Bearer `, inside a launch URL or a
form body (`token=...`), or an empty stdin is rejected like any malformed token, and a `hint:`
line names the mistake.

Every check of PROTOCOL.md §6 runs. On success stdout is the claims JSON only, and stderr says
`verified: ...` with the key that signed. On rejection the exit status is 1 and the first line on
stderr is `error[CODE]: message` with the protocol's code (expired, bad_signature, wrong_issuer,
...). Single use is enforced only within this one process, so running verify twice on the same
token does not report `replayed`.

A leeway above the default 30 seconds (up to 300) widens the window in which an expired token is
still accepted.

Examples:
  cvplugin verify --jwks jwks.json --issuer https://portal.example.com.br --plugin financeiro \"$TOKEN\"
  echo \"$TOKEN\" | cvplugin verify --jwks jwks.json --issuer https://portal.example.com.br \\
      --plugin financeiro --leeway 120")]
    Verify(VerifyArgs),

    /// Decode a token's header and claims WITHOUT verifying anything, and print them as JSON.
    #[command(after_help = "\
The output is marked `\"verified\": false`: nothing is checked (not the signature, the issuer, the
audience nor the times, nor repeated JSON members, of which only the last is shown). Use it for
debugging only; use `cvplugin verify` to trust a token. A token that cannot be decoded exits 1 with
`error[malformed]` or `error[non_canonical_base64]`; the token is read as verify reads it (same
whitespace rule, same hints).

Examples:
  cvplugin inspect \"$TOKEN\"
  cvplugin mint ... | cvplugin inspect")]
    Inspect(InspectArgs),

    /// Plugin configuration files.
    #[command(
        subcommand,
        after_help = "Example:\n  cvplugin config check financeiro.json assembleias.json"
    )]
    Config(ConfigCommand),

    /// Mint a launch token for a configured plugin and print its launch URL (or form-post page).
    #[command(after_help = "\
The plugin configuration (JSON, see `cvplugin config check`) must be valid, active and shown to
the role, as in the portal's menu; otherwise the exit status is 1 with `error[plugin_inactive]`,
`error[not_visible_to_viewer]` or the configuration's first error code. The token is signed with
the --key of the configuration's `algorithm` (EdDSA unless it says ES256); --key may be given
once per algorithm. With no --key of that algorithm the exit status is 2 with
`error[no_signing_key]`.

Examples:
  cvplugin launch-url --config financeiro.json --key portal.jwk \\
      --issuer https://portal.example.com.br --subject 48213 --role cliente
  cvplugin launch-url --config financeiro.json --key portal.jwk \\
      --issuer https://portal.example.com.br --subject 48213 --role sindico --form-post > launch.html")]
    LaunchUrl(LaunchUrlArgs),

    /// Fetch and check a portal's discovery document, and print it as JSON.
    #[command(after_help = "\
GET {issuer}/.well-known/cv-plugin (one trailing slash of the issuer removed), without following
redirects, then every check a vendor makes (PROTOCOL.md §10): status 200, at most 64 KiB, JSON,
protocol_version 1, issuer exactly --issuer, https URLs (http only on loopback). On success stdout
is the document as indented JSON with these members, in this order: issuer, protocol_version,
jwks_uri, client_data_endpoint, token_signing_alg_values_supported (members the tool does not
know are not printed).

A refused document exits 1 (`error[discovery_issuer_mismatch]`, `error[discovery_http_status]`,
`error[response_too_large]`, ...); an unreachable portal exits 2 (`error[connection_refused]`,
`error[tls_failure]`, `error[timeout]`, ...). Server certificates are checked against the
system's roots, plus --ca-cert's.

Examples:
  cvplugin discovery --issuer https://portal.example.com.br
  cvplugin discovery --issuer https://portal.test:8443 --ca-cert test-ca.pem")]
    Discovery(DiscoveryArgs),

    /// Verify a launch token, then redeem it ONCE at the portal and print the person's data.
    #[command(after_help = "\
What a vendor does when a person opens its plugin (PROTOCOL.md §10, §11): fetch the discovery
document of --issuer and its JWKS, verify the token for --plugin exactly as `cvplugin verify`
does, then GET the client-data endpoint with `Authorization: Bearer <token>`, without following
redirects. This REDEEMS the token: the portal answers a second redemption with `replayed`, and
a vendor's own server can no longer redeem it. stderr says so (`warning: the token was sent to
... to be redeemed`), after the data or after the error's lines.

The token is --token, or read from stdin when --token is absent or `-` (same whitespace rule and
hints as verify). On success stdout is the data as indented JSON: sub, role, plugin, then only the
fields granted to the plugin that the portal has (name, email, document, phone, units).

On refusal the exit status is 1 and the first line on stderr is `error[CODE]: message`: a
verification code (expired, bad_signature, ...) if the token did not verify (nothing was sent),
else the portal's code (replayed, client_not_found, plugin_inactive, not_visible_to_viewer,
replay_store_unavailable, ...) or the library's (data_unexpected_status, data_answer_invalid,
data_not_for_this_launch, response_too_large, ...). Network failures exit 2.

Examples:
  cvplugin client-data --issuer https://portal.example.com.br --plugin financeiro --token \"$TOKEN\"
  echo \"$TOKEN\" | cvplugin client-data --issuer https://portal.test:8443 --plugin financeiro \\
      --ca-cert test-ca.pem")]
    ClientData(ClientDataArgs),

    /// Play the portal on loopback and attack a vendor's launch endpoint: PASS or FAIL per case.
    #[command(after_help = crate::commands::vendor_check::AFTER_HELP)]
    VendorCheck(crate::commands::vendor_check::VendorCheckArgs),
}

/// `cvplugin keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The signature algorithm.
    #[arg(long, value_enum, default_value_t = AlgArg::EdDSA)]
    pub alg: AlgArg,
    /// Write the private JWK to FILE (mode 0600) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace FILE if it exists.
    #[arg(long, requires = "out")]
    pub force: bool,
}

/// `cvplugin jwks`.
#[derive(Debug, Args)]
pub struct JwksArgs {
    /// Key files: private or public JWK, JWKS, or PKCS#8 (PEM or DER).
    #[arg(value_name = "KEYFILE", required = true, num_args = 1..)]
    pub keys: Vec<PathBuf>,
}

/// `cvplugin mint`.
#[derive(Debug, Args)]
pub struct MintArgs {
    /// The portal's private key: a private JWK, or PKCS#8 (PEM `PRIVATE KEY` block or DER).
    /// Repeat it to give one key per algorithm.
    #[arg(long, value_name = "KEYFILE", required = true)]
    pub key: Vec<PathBuf>,
    /// The algorithm of the plugin's tokens (default: the first --key's).
    #[arg(long, value_enum)]
    pub alg: Option<AlgArg>,
    /// The issuer id (`iss`), e.g. `https://portal.example.com.br`.
    #[arg(long, value_name = "ISS")]
    pub issuer: String,
    /// The plugin id (`aud`).
    #[arg(long, value_name = "ID")]
    pub plugin: String,
    /// The person's id in the portal (`sub`).
    #[arg(long, value_name = "SUB")]
    pub subject: String,
    /// The person's role.
    #[arg(long, value_enum)]
    pub role: RoleArg,
    /// The token lifetime in seconds (30 to 3600).
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub ttl: u64,
}

/// `cvplugin verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The portal's public keys: the JWKS it publishes, or one public JWK.
    #[arg(long, value_name = "FILE")]
    pub jwks: PathBuf,
    /// The expected issuer id (`iss`).
    #[arg(long, value_name = "ISS")]
    pub issuer: String,
    /// This plugin's id (the expected `aud`).
    #[arg(long, value_name = "ID")]
    pub plugin: String,
    /// Clock leeway in seconds (default 30, at most 300).
    #[arg(long, value_name = "SECONDS")]
    pub leeway: Option<u64>,
    /// The token; read from stdin when absent or `-`.
    #[arg(value_name = "TOKEN")]
    pub token: Option<OsString>,
}

/// `cvplugin inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The token; read from stdin when absent or `-`.
    #[arg(value_name = "TOKEN")]
    pub token: Option<OsString>,
}

/// `cvplugin config ...`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate plugin configuration JSON files and list every problem.
    #[command(after_help = "\
For each valid FILE, `FILE: ok (algorithm ALG)` is printed on stdout, ALG being the algorithm of
the plugin's launch tokens (EdDSA, the default, or ES256). For an invalid one, every problem is
listed on stderr as `FILE: CODE at PATH: message` (PATH is `(document)` for the file as a whole),
after a first line `error[CODE]: ...` naming the first problem. A valid file may also print
`warning[CODE]: FILE: message` on stderr (e.g. `personal_data_granted`); warnings do not change the
exit status.

With --key (once per algorithm: the portal's signing keys, as for launch-url), a valid file whose
algorithm has no key among them is reported as `FILE: no_signing_key at algorithm: message` and
counts as invalid. Exit status: 0 if every file is valid, 1 if any is invalid, 2 if any file could
not be read (a --key file that cannot be read or is not a private key: 2, nothing checked).

Examples:
  cvplugin config check financeiro.json assembleias.json
  cvplugin config check --lang pt-BR financeiro.json
  cvplugin config check --key portal.jwk --key portal-p256.jwk financeiro.json boletos-net.json")]
    Check(ConfigCheckArgs),
}

/// `cvplugin config check`.
#[derive(Debug, Args)]
pub struct ConfigCheckArgs {
    /// Plugin configuration files (JSON).
    #[arg(value_name = "FILE", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// The language of the messages.
    #[arg(long, value_enum, ignore_case = true, default_value_t = Lang::En)]
    pub lang: Lang,
    /// The portal's signing keys (private JWK or PKCS#8), one per algorithm: check that each
    /// file's algorithm has one.
    #[arg(long, value_name = "KEYFILE")]
    pub key: Vec<PathBuf>,
}

/// `cvplugin launch-url`.
#[derive(Debug, Args)]
pub struct LaunchUrlArgs {
    /// The plugin configuration (JSON).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// The portal's private key: a private JWK, or PKCS#8 (PEM `PRIVATE KEY` block or DER).
    /// Repeat it to give one key per algorithm; the configuration's algorithm picks one.
    #[arg(long, value_name = "KEYFILE", required = true)]
    pub key: Vec<PathBuf>,
    /// The issuer id (`iss`).
    #[arg(long, value_name = "ISS")]
    pub issuer: String,
    /// The person's id in the portal (`sub`).
    #[arg(long, value_name = "SUB")]
    pub subject: String,
    /// The person's role.
    #[arg(long, value_enum)]
    pub role: RoleArg,
    /// Print the auto-submitting form-post HTML page instead of the URL.
    #[arg(long)]
    pub form_post: bool,
}

/// `cvplugin discovery`.
#[derive(Debug, Args)]
pub struct DiscoveryArgs {
    /// The portal's issuer id, e.g. `https://portal.example.com.br`.
    #[arg(long, value_name = "ISS")]
    pub issuer: String,
    /// Also trust the CA certificates of PEMFILE (a private or test CA), beside the system's.
    #[arg(long, value_name = "PEMFILE")]
    pub ca_cert: Option<PathBuf>,
}

/// `cvplugin client-data`.
#[derive(Debug, Args)]
pub struct ClientDataArgs {
    /// The portal's issuer id (the expected `iss`).
    #[arg(long, value_name = "ISS")]
    pub issuer: String,
    /// This plugin's id (the expected `aud`).
    #[arg(long, value_name = "ID")]
    pub plugin: String,
    /// The launch token; read from stdin when absent or `-`.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<OsString>,
    /// Also trust the CA certificates of PEMFILE (a private or test CA), beside the system's.
    #[arg(long, value_name = "PEMFILE")]
    pub ca_cert: Option<PathBuf>,
    /// Clock leeway in seconds (default 30, at most 300).
    #[arg(long, value_name = "SECONDS")]
    pub leeway: Option<u64>,
}

/// `--alg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlgArg {
    /// Ed25519.
    #[value(name = "EdDSA")]
    EdDSA,
    /// ECDSA P-256 with SHA-256.
    #[value(name = "ES256")]
    ES256,
}

impl From<AlgArg> for Algorithm {
    fn from(alg: AlgArg) -> Algorithm {
        match alg {
            AlgArg::EdDSA => Algorithm::EdDSA,
            AlgArg::ES256 => Algorithm::ES256,
        }
    }
}

/// `--role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// A buyer, in the client portal.
    Cliente,
    /// A building manager, in the client portal.
    Sindico,
    /// Construction-company staff, in the manager panel.
    Gestor,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Role {
        match role {
            RoleArg::Cliente => Role::Cliente,
            RoleArg::Sindico => Role::Sindico,
            RoleArg::Gestor => Role::Gestor,
        }
    }
}

/// `--lang` of `config check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// English.
    #[value(name = "en")]
    En,
    /// Brazilian Portuguese.
    #[value(name = "pt-BR")]
    PtBr,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }
}
