//! Integration tests of the `cvplugin` binary: every subcommand, success and failure, run as a
//! separate process. Each test asserts the exit status, the shape of stdout (parsed when it is
//! JSON) and the exact `error[CODE]` first line on stderr; every run also asserts that the
//! process was not killed and did not panic (exit 101).
#![cfg(feature = "cli")]

#[path = "common/http_portal.rs"]
mod http_portal;

use std::ffi::OsStr;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cv_portal_plugin::config::{Dimension, Icon, PluginConfig, VisibleTo};
use cv_portal_plugin::{
    Algorithm, Clock as _, FixedClock, Issuer, IssuerId, Role, SigningKey, SubjectId, SystemClock,
    UntrustedToken, Viewer,
};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_cvplugin");
const ISS: &str = "https://portal.construtora.com.br";
const PLUGIN: &str = "financeiro";

// ------------------------------------------------------------------------------------------------
// Harness

/// A scratch directory under Cargo's target tmpdir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("cli-{name}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The outcome of one run of the binary.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn first_stderr_line(&self) -> &str {
        self.stderr.lines().next().unwrap_or("")
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "expected success, got {self:#?}");
        &self.stdout
    }

    /// Asserts success and parses stdout as JSON.
    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_str(self.ok())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:#?}"))
    }

    /// Asserts failure with `exit` and a first stderr line `error[code]: ...`; returns that line.
    #[track_caller]
    fn fails(&self, exit: i32, code: &str) -> &str {
        assert_eq!(
            self.code, exit,
            "expected exit {exit} with error[{code}], got {self:#?}"
        );
        let line = self.first_stderr_line();
        assert!(
            line.starts_with(&format!("error[{code}]: ")),
            "expected error[{code}], got first stderr line {line:?}"
        );
        line
    }
}

/// Runs the binary in `dir` with `args` and, if given, `stdin` (else an empty stdin).
fn run_in<S: AsRef<OsStr>>(dir: &Path, args: &[S], stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the cvplugin binary runs");
    let input = stdin.unwrap_or_default().to_vec();
    let mut pipe = child.stdin.take().unwrap();
    // The tool may stop reading early (bounded input): a broken pipe here is expected.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("cvplugin was killed by a signal: {:?}", output.status));
    let run = Run {
        code,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_ne!(run.code, 101, "cvplugin panicked: {run:#?}");
    assert!(
        matches!(run.code, 0..=2),
        "unexpected exit status: {run:#?}"
    );
    run
}

fn run<S: AsRef<OsStr>>(dir: &TempDir, args: &[S]) -> Run {
    run_in(&dir.0, args, None)
}

fn run_stdin<S: AsRef<OsStr>>(dir: &TempDir, args: &[S], stdin: &[u8]) -> Run {
    run_in(&dir.0, args, Some(stdin))
}

/// Deterministic pseudo-random bytes (no rand dependency needed).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as u8
        })
        .collect()
}

/// `keygen --alg ALG --out NAME`, returning the printed kid.
fn keygen(dir: &TempDir, alg: &str, name: &str) -> String {
    let out = run(dir, &["keygen", "--alg", alg, "--out", name]);
    out.ok().trim().to_owned()
}

/// `jwks KEYFILES... > NAME`.
fn jwks_file(dir: &TempDir, keys: &[&str], name: &str) -> PathBuf {
    let mut args = vec!["jwks"];
    args.extend_from_slice(keys);
    let out = run(dir, &args);
    dir.write(name, out.ok())
}

/// `mint` with the test issuer and plugin (role `cliente` unless `extra` has `--role`).
fn mint(dir: &TempDir, key: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "mint",
        "--key",
        key,
        "--issuer",
        ISS,
        "--plugin",
        PLUGIN,
        "--subject",
        "48213",
    ];
    if !extra.contains(&"--role") {
        args.extend_from_slice(&["--role", "cliente"]);
    }
    args.extend_from_slice(extra);
    let out = run(dir, &args);
    let token = out.ok();
    assert!(
        token.ends_with('\n') && token.trim().lines().count() == 1,
        "{token:?}"
    );
    token.trim().to_owned()
}

/// `verify --jwks jwks.json` for the test issuer and plugin, token as argument.
/// `cvplugin verify` of `token` against the key file `jwks`.
fn verify_with_jwks(dir: &TempDir, jwks: &str, token: &str) -> Run {
    run(
        dir,
        &[
            "verify", "--jwks", jwks, "--issuer", ISS, "--plugin", PLUGIN, token,
        ],
    )
}

fn verify(dir: &TempDir, token: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "verify",
        "--jwks",
        "jwks.json",
        "--issuer",
        ISS,
        "--plugin",
        PLUGIN,
    ];
    args.extend_from_slice(extra);
    args.push(token);
    run(dir, &args)
}

fn now() -> i64 {
    SystemClock.now_unix()
}

/// A token minted by the library with the key in `key_file` at the fixed time `at`.
fn token_at(dir: &TempDir, key_file: &str, at: i64, plugin_id: &str) -> String {
    let key = SigningKey::from_jwk(&fs::read_to_string(dir.path(key_file)).unwrap()).unwrap();
    let issuer = Issuer::builder(IssuerId::new(ISS).unwrap(), key)
        .clock(Arc::new(FixedClock::new(at)))
        .build()
        .unwrap();
    let plugin = PluginConfig::builder()
        .id(plugin_id)
        .name("Financeiro")
        .link("https://erp.example.com/portal")
        .icon(Icon::Boleto)
        .title("Financeiro")
        .show_in_client_portal(true)
        .iframe_size(Dimension::Percent(100), Dimension::Pixels(800))
        .visible_to(VisibleTo::Cliente)
        .token_lifetime(Duration::from_secs(300))
        .build()
        .unwrap();
    let viewer = Viewer::new(SubjectId::new("48213").unwrap(), Role::Cliente);
    issuer.mint(&plugin, &viewer).unwrap().into_token()
}

fn b64_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// A valid plugin configuration (the link keeps its query).
const VALID_CONFIG: &str = r#"{
    "id": "financeiro",
    "name": "Financeiro – segunda via de boleto",
    "active": true,
    "link": "https://erp.example.com/portal/financeiro?empresa=7",
    "icon": "boleto",
    "title": "Financeiro",
    "show_in_client_portal": true,
    "show_in_manager_panel": false,
    "kind": "iframe",
    "iframe_size": {"width": "100%", "height": "800px"},
    "visible_to": "cliente_e_sindico",
    "auth": {"type": "token", "token_lifetime_seconds": 120}
}"#;

/// `config` with `"algorithm": "ES256"` (for a vendor without Ed25519).
fn es256_config(config: &str) -> String {
    let with = config.replacen("\"auth\":", "\"algorithm\": \"ES256\", \"auth\":", 1);
    assert_ne!(with, config);
    with
}

/// A configuration with many problems at once.
const INVALID_CONFIG: &str = r#"{
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

// ------------------------------------------------------------------------------------------------
// Help and usage

#[test]
fn every_subcommand_has_help_with_an_example() {
    let dir = TempDir::new("help");
    let top = run(&dir, &["--help"]);
    let text = top.ok();
    for sub in [
        "keygen",
        "jwks",
        "mint",
        "verify",
        "inspect",
        "config",
        "launch-url",
        "discovery",
        "client-data",
    ] {
        assert!(text.contains(sub), "top-level help lists {sub}");
    }
    assert!(text.contains("Exit status"));
    for sub in subcommands() {
        for flag in ["--help", "-h"] {
            let mut args = sub.clone();
            args.push(flag);
            let out = run(&dir, &args);
            let help = out.ok();
            assert!(help.contains("Usage: cvplugin"), "{args:?}: {help}");
            assert!(help.contains("Example"), "{args:?} has an example: {help}");
            assert!(out.stderr.is_empty());
        }
    }
    let version = run(&dir, &["--version"]);
    assert!(version.ok().starts_with("cvplugin "));
}

/// Every subcommand, as the arguments that name it.
fn subcommands() -> [Vec<&'static str>; 10] {
    [
        vec!["keygen"],
        vec!["jwks"],
        vec!["mint"],
        vec!["verify"],
        vec!["inspect"],
        vec!["config"],
        vec!["config", "check"],
        vec!["launch-url"],
        vec!["discovery"],
        vec!["client-data"],
    ]
}

#[test]
fn help_subcommand_prints_the_same_help_as_the_flag() {
    let dir = TempDir::new("help-subcommand");
    let top = run(&dir, &["help"]);
    assert!(top.ok().contains("Exit status"), "{top:#?}");
    assert!(top.stderr.is_empty());
    for sub in subcommands() {
        let mut help_args = vec!["help"];
        help_args.extend(&sub);
        let mut flag_args = sub.clone();
        flag_args.push("--help");
        let by_subcommand = run(&dir, &help_args);
        assert_eq!(
            by_subcommand.ok(),
            run(&dir, &flag_args).ok(),
            "{help_args:?}"
        );
        assert!(by_subcommand.stderr.is_empty());
    }
    let nested = run(&dir, &["config", "help", "check"]);
    assert!(
        nested.ok().contains("Usage: cvplugin config check"),
        "{nested:#?}"
    );
    run(&dir, &["help", "frobnicate"]).fails(2, "usage");
}

#[test]
fn usage_errors_exit_2_with_error_usage() {
    let dir = TempDir::new("usage");
    run(&dir, &[] as &[&str]).fails(2, "usage");
    run(&dir, &["config"]).fails(2, "usage");
    run(&dir, &["frobnicate"]).fails(2, "usage");
    run(&dir, &["keygen", "--alg", "RS256"]).fails(2, "usage");
    run(&dir, &["keygen", "--alg", "HS256", "--out", "k"]).fails(2, "usage");
    run(&dir, &["keygen", "--force"]).fails(2, "usage");
    run(&dir, &["jwks"]).fails(2, "usage");
    run(&dir, &["config", "check"]).fails(2, "usage");
    run(&dir, &["config", "check", "--lang", "fr", "x.json"]).fails(2, "usage");
    run(&dir, &["mint", "--key", "k.jwk"]).fails(2, "usage");
    let line = run(
        &dir,
        &[
            "mint",
            "--key",
            "k",
            "--issuer",
            ISS,
            "--plugin",
            PLUGIN,
            "--subject",
            "1",
            "--role",
            "admin",
        ],
    )
    .fails(2, "usage")
    .to_owned();
    assert!(
        line.contains("'admin'") && line.contains("--role"),
        "{line}"
    );
    run(
        &dir,
        &[
            "mint",
            "--key",
            "k",
            "--issuer",
            ISS,
            "--plugin",
            PLUGIN,
            "--subject",
            "1",
            "--role",
            "cliente",
            "--ttl",
            "-5",
        ],
    )
    .fails(2, "usage");
    run(
        &dir,
        &[
            "verify", "--jwks", "j", "--issuer", ISS, "--plugin", PLUGIN, "--leeway", "x", "t",
        ],
    )
    .fails(2, "usage");
}

#[test]
fn bad_argument_values_exit_2_before_touching_files() {
    let dir = TempDir::new("values");
    // The key file does not exist: argument values are checked first.
    let base = |issuer: &'static str, plugin: &'static str, subject: &'static str| {
        vec![
            "mint",
            "--key",
            "missing.jwk",
            "--issuer",
            issuer,
            "--plugin",
            plugin,
            "--subject",
            subject,
            "--role",
            "cliente",
        ]
    };
    let line = run(&dir, &base("has space", PLUGIN, "1"))
        .fails(2, "usage")
        .to_owned();
    assert!(line.starts_with("error[usage]: --issuer: "), "{line}");
    let line = run(&dir, &base(ISS, PLUGIN, "maria@example.com"))
        .fails(2, "usage")
        .to_owned();
    assert!(line.starts_with("error[usage]: --subject: "), "{line}");
    let line = run(&dir, &base(ISS, "fin anceiro", "1"))
        .fails(2, "usage")
        .to_owned();
    assert!(
        line.starts_with("error[usage]: --plugin: invalid plugin id \"fin anceiro\""),
        "{line}"
    );
    run(&dir, &base(ISS, "", "1")).fails(2, "usage");
    run(&dir, &base(ISS, PLUGIN, "1")).fails(2, "io");
}

// ------------------------------------------------------------------------------------------------
// keygen

#[test]
fn keygen_prints_a_private_jwk_for_both_algorithms() {
    let dir = TempDir::new("keygen-stdout");
    for (alg, kty, crv) in [("EdDSA", "OKP", "Ed25519"), ("ES256", "EC", "P-256")] {
        let out = run(&dir, &["keygen", "--alg", alg]);
        let jwk = out.json();
        assert_eq!(jwk["kty"], kty);
        assert_eq!(jwk["crv"], crv);
        assert_eq!(jwk["alg"], alg);
        assert_eq!(jwk["use"], "sig");
        assert!(jwk["d"].is_string() && jwk["x"].is_string());
        assert_eq!(jwk["y"].is_string(), alg == "ES256");
        let key = SigningKey::from_jwk(out.stdout.trim()).unwrap();
        assert_eq!(jwk["kid"], key.kid());
        assert_eq!(key.algorithm().as_str(), alg);
        assert!(out.stderr.is_empty());
    }
    // The default algorithm is EdDSA.
    assert_eq!(run(&dir, &["keygen"]).json()["alg"], "EdDSA");
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn keygen_out_writes_mode_0600_and_refuses_to_overwrite_without_force() {
    use std::os::unix::fs::PermissionsExt as _;

    let dir = TempDir::new("keygen-out");
    let kid = keygen(&dir, "EdDSA", "k.jwk");
    let path = dir.path("k.jwk");
    assert_eq!(mode(&path), 0o600);
    let written = fs::read_to_string(&path).unwrap();
    assert_eq!(SigningKey::from_jwk(written.trim()).unwrap().kid(), kid);

    let line = run(&dir, &["keygen", "--out", "k.jwk"])
        .fails(2, "io")
        .to_owned();
    assert!(
        line.contains("already exists") && line.contains("--force"),
        "{line}"
    );
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        written,
        "the key is untouched"
    );

    // --force replaces it, and a looser mode of the old file is not inherited.
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(
        &dir,
        &["keygen", "--alg", "ES256", "--out", "k.jwk", "--force"],
    );
    let new_kid = out.ok().trim().to_owned();
    assert_ne!(new_kid, kid);
    assert_eq!(mode(&path), 0o600);
    let replaced = SigningKey::from_jwk(fs::read_to_string(&path).unwrap().trim()).unwrap();
    assert_eq!(replaced.kid(), new_kid);
    assert_eq!(replaced.algorithm(), Algorithm::ES256);
    let names: Vec<_> = fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names,
        vec![OsStr::new("k.jwk")],
        "no temporary file is left behind"
    );

    // A symlink is never followed without --force.
    let target = dir.write("target.txt", "keep me");
    std::os::unix::fs::symlink(&target, dir.path("link.jwk")).unwrap();
    run(&dir, &["keygen", "--out", "link.jwk"]).fails(2, "io");
    assert_eq!(fs::read_to_string(&target).unwrap(), "keep me");

    // Unwritable locations are I/O errors.
    run(&dir, &["keygen", "--out", "no/such/dir/k.jwk"]).fails(2, "io");
    run(&dir, &["keygen", "--out", "no/such/dir/k.jwk", "--force"]).fails(2, "io");
}

// ------------------------------------------------------------------------------------------------
// Round trip

#[test]
fn keygen_jwks_mint_verify_round_trip_for_both_algorithms() {
    let dir = TempDir::new("round-trip");
    for alg in ["EdDSA", "ES256"] {
        let kid = keygen(&dir, alg, &format!("{alg}.jwk"));
        let jwks = jwks_file(&dir, &[&format!("{alg}.jwk")], "jwks.json");
        let set: Value = serde_json::from_str(&fs::read_to_string(jwks).unwrap()).unwrap();
        assert_eq!(set["keys"].as_array().unwrap().len(), 1);
        assert_eq!(set["keys"][0]["kid"], kid.as_str());
        assert!(set["keys"][0].get("d").is_none(), "the JWKS is public");

        let token = mint(&dir, &format!("{alg}.jwk"), &[]);
        let claims = verify(&dir, &token, &[]).json();
        assert_eq!(claims["iss"], ISS);
        assert_eq!(claims["aud"], PLUGIN);
        assert_eq!(claims["sub"], "48213");
        assert_eq!(claims["role"], "cliente");
        let iat = claims["iat"].as_i64().unwrap();
        assert!((iat - now()).abs() <= 5);
        assert_eq!(claims["nbf"].as_i64(), Some(iat));
        assert_eq!(claims["exp"].as_i64(), Some(iat + 300));
        assert_eq!(claims["jti"].as_str().unwrap().len(), 22);

        // From stdin, surrounded by whitespace, and with `-`.
        let stdin_args = [
            "verify",
            "--jwks",
            "jwks.json",
            "--issuer",
            ISS,
            "--plugin",
            PLUGIN,
        ];
        let padded = run_stdin(&dir, &stdin_args, format!("\n  {token}\r\n\n").as_bytes());
        assert_eq!(padded.json(), claims);
        assert!(
            padded
                .first_stderr_line()
                .starts_with("warning: ignored the whitespace"),
            "{padded:#?}"
        );
        let mut dash = stdin_args.to_vec();
        dash.push("-");
        assert_eq!(run_stdin(&dir, &dash, token.as_bytes()).json(), claims);
        let piped = run_stdin(&dir, &dash, format!("{token}\n").as_bytes());
        assert_eq!(piped.json(), claims);
        assert!(
            piped.first_stderr_line().starts_with("verified: "),
            "the line end of stdin is no warning: {piped:#?}"
        );

        // Another role and lifetime.
        let token = mint(
            &dir,
            &format!("{alg}.jwk"),
            &["--ttl", "30", "--role", "gestor"],
        );
        let claims = verify(&dir, &token, &[]).json();
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            30
        );
        assert_eq!(claims["role"], "gestor");
    }
}

#[test]
fn the_readme_one_liner_works_in_a_shell() {
    let dir = TempDir::new("readme");
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // The exact line README.md shows, so the documentation cannot drift from the tool.
    let readme = include_str!("../README.md");
    let one_liner = readme
        .lines()
        .find(|line| line.starts_with("cvplugin keygen --out portal.jwk"))
        .expect("README.md shows the keygen → jwks → mint → verify one-liner");
    let output = Command::new("sh")
        .arg("-c")
        .arg(one_liner)
        .current_dir(&dir.0)
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let (kid, claims) = stdout.split_once('\n').unwrap();
    assert_eq!(kid.len(), 43);
    let claims: Value = serde_json::from_str(claims).unwrap();
    assert_eq!(claims["aud"], "financeiro");
    assert_eq!(claims["iss"], "https://portal.example.com.br");
}

// ------------------------------------------------------------------------------------------------
// verify

#[test]
fn verify_reports_each_rejection_with_its_code() {
    let dir = TempDir::new("verify");
    keygen(&dir, "EdDSA", "k.jwk");
    keygen(&dir, "ES256", "other.jwk");
    jwks_file(&dir, &["k.jwk"], "jwks.json");
    jwks_file(&dir, &["other.jwk"], "other.json");
    let token = mint(&dir, "k.jwk", &[]);

    // Wrong audience and issuer.
    let args = [
        "verify",
        "--jwks",
        "jwks.json",
        "--issuer",
        ISS,
        "--plugin",
        "boletos",
        &token,
    ];
    let line = run(&dir, &args).fails(1, "wrong_audience").to_owned();
    assert_eq!(
        line,
        "error[wrong_audience]: wrong audience: expected \"boletos\", found \"financeiro\""
    );
    let args = [
        "verify",
        "--jwks",
        "jwks.json",
        "--issuer",
        "https://x.example",
        "--plugin",
        PLUGIN,
        &token,
    ];
    run(&dir, &args).fails(1, "wrong_issuer");

    // A key set without the signing key.
    let args = [
        "verify",
        "--jwks",
        "other.json",
        "--issuer",
        ISS,
        "--plugin",
        PLUGIN,
        &token,
    ];
    run(&dir, &args).fails(1, "unknown_kid");

    // Tampered claims under the original signature.
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = "1".into();
    let forged = format!("{}.{}.{}", parts[0], b64_json(&claims), parts[2]);
    let line = verify(&dir, &forged, &[])
        .fails(1, "bad_signature")
        .to_owned();
    assert_eq!(line, "error[bad_signature]: the signature does not verify");
    // A flipped signature bit.
    let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    sig[10] ^= 1;
    let flipped = format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(sig));
    verify(&dir, &flipped, &[]).fails(1, "bad_signature");

    // alg none.
    let none =
        b64_json(&serde_json::json!({"alg": "none", "typ": "cv-plugin-launch+jwt", "kid": "x"}));
    verify(&dir, &format!("{none}.{}.", parts[1]), &[]).fails(1, "alg_none");

    // Garbage.
    verify(&dir, "garbage", &[]).fails(1, "malformed");
    verify(&dir, "a.b.c", &[]).fails(1, "non_canonical_base64");
    verify(
        &dir,
        &format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
        &[],
    )
    .fails(1, "non_canonical_base64");
    verify(&dir, "", &[]).fails(1, "malformed");

    // The valid token still verifies (the failures above consumed nothing).
    verify(&dir, &token, &[]).ok();
}

#[test]
fn verify_checks_time_with_the_leeway() {
    let dir = TempDir::new("verify-time");
    keygen(&dir, "EdDSA", "k.jwk");
    jwks_file(&dir, &["k.jwk"], "jwks.json");

    // Issued an hour ago with a 5-minute lifetime.
    let old = token_at(&dir, "k.jwk", now() - 3600, PLUGIN);
    let line = verify(&dir, &old, &[]).fails(1, "expired").to_owned();
    assert!(
        line.contains("expired") && line.contains("leeway 30 s"),
        "{line}"
    );

    // Expired about 60 s ago: rejected by default, accepted with a 120 s leeway.
    let recent = token_at(&dir, "k.jwk", now() - 360, PLUGIN);
    verify(&dir, &recent, &[]).fails(1, "expired");
    verify(&dir, &recent, &["--leeway", "0"]).fails(1, "expired");
    let claims = verify(&dir, &recent, &["--leeway", "120"]).json();
    assert_eq!(claims["aud"], PLUGIN);
    let line = verify(&dir, &recent, &["--leeway", "301"])
        .fails(2, "leeway_too_large")
        .to_owned();
    assert!(line.contains("300"), "{line}");

    // Issued 10 minutes in the future.
    let future = token_at(&dir, "k.jwk", now() + 600, PLUGIN);
    verify(&dir, &future, &[]).fails(1, "issued_in_future");

    // Minted for another plugin.
    let other = token_at(&dir, "k.jwk", now(), "boletos");
    verify(&dir, &other, &[]).fails(1, "wrong_audience");
}

#[test]
fn verify_key_set_errors_exit_2() {
    let dir = TempDir::new("verify-keys");
    keygen(&dir, "EdDSA", "k.jwk");
    let token = mint(&dir, "k.jwk", &[]);
    let verify_with = |jwks: &str| verify_with_jwks(&dir, jwks, &token);
    verify_with("missing.json").fails(2, "io");
    dir.write("empty.json", "");
    verify_with("empty.json").fails(2, "invalid_json");
    dir.write("binary.json", noise(300, 1));
    verify_with("binary.json").fails(2, "invalid_json");
    // A private key is not a JWKS, and a JWKS must not carry private keys.
    verify_with("k.jwk").fails(2, "private_key_in_public_set");
    let private = fs::read_to_string(dir.path("k.jwk")).unwrap();
    dir.write("private-set.json", format!("{{\"keys\":[{private}]}}"));
    let out = verify_with("private-set.json");
    out.fails(2, "private_key_in_public_set");
    assert_eq!(
        out.stderr.lines().nth(1),
        Some("hint: a published JWKS holds only public keys; make one with cvplugin jwks KEYFILE"),
        "{out:#?}"
    );
    dir.write("none.json", r#"{"keys":[]}"#);
    verify_with("none.json").fails(2, "empty_key_set");
    fs::create_dir(dir.path("dir.json")).unwrap();
    verify_with("dir.json").fails(2, "io");
}

#[test]
fn verify_hostile_stdin_and_arguments() {
    let dir = TempDir::new("verify-hostile");
    keygen(&dir, "EdDSA", "k.jwk");
    jwks_file(&dir, &["k.jwk"], "jwks.json");
    let args = [
        "verify",
        "--jwks",
        "jwks.json",
        "--issuer",
        ISS,
        "--plugin",
        PLUGIN,
    ];

    run_stdin(&dir, &args, b"").fails(1, "malformed");
    run_stdin(&dir, &args, b" \n\t ").fails(1, "malformed");
    let line = run_stdin(&dir, &args, &noise(4000, 2))
        .fails(1, "malformed")
        .to_owned();
    assert!(line.contains("UTF-8"), "{line}");
    run_stdin(&dir, &args, b"\xff.\xfe.\xfd").fails(1, "malformed");
    run_stdin(&dir, &args, &vec![b'a'; 10 << 20]).fails(1, "token_too_large");
    run_stdin(&dir, &args, &noise(10 << 20, 3)).fails(1, "token_too_large");
    run_stdin(&dir, &args, &vec![b'.'; 5000]).fails(1, "token_too_large");
    // One argument may be at most 128 KiB on Linux; 100 KB is well past the token limit.
    let long = "e".repeat(100_000);
    let line = verify(&dir, &long, &[])
        .fails(1, "token_too_large")
        .to_owned();
    assert!(line.len() < 200, "the token is not echoed: {line}");
    let dots = ".".repeat(100_000);
    verify(&dir, &dots, &[]).fails(1, "token_too_large");
}

#[cfg(unix)]
#[test]
fn non_utf8_arguments_are_handled() {
    use std::os::unix::ffi::OsStrExt as _;

    let dir = TempDir::new("non-utf8");
    keygen(&dir, "EdDSA", "k.jwk");
    jwks_file(&dir, &["k.jwk"], "jwks.json");
    let bad = OsStr::from_bytes(b"ey\xff\xfe.a.b");
    let args: Vec<&OsStr> = [
        "verify",
        "--jwks",
        "jwks.json",
        "--issuer",
        ISS,
        "--plugin",
        PLUGIN,
    ]
    .iter()
    .map(OsStr::new)
    .chain([bad])
    .collect();
    run(&dir, &args).fails(1, "malformed");
    run(&dir, &[OsStr::new("inspect"), bad]).fails(1, "malformed");
    // A non-UTF-8 option value is a usage error.
    let args: Vec<&OsStr> = vec![
        OsStr::new("verify"),
        OsStr::new("--jwks"),
        OsStr::new("jwks.json"),
        OsStr::new("--issuer"),
        bad,
        OsStr::new("--plugin"),
        OsStr::new(PLUGIN),
        OsStr::new("t"),
    ];
    run(&dir, &args).fails(2, "usage");
    // A non-UTF-8 file name is fine.
    run(
        &dir,
        &[OsStr::new("jwks"), OsStr::from_bytes(b"\xff\xfe.jwk")],
    )
    .fails(2, "io");
}

// ------------------------------------------------------------------------------------------------
// Diagnostics people can act on (issue 10)

#[test]
fn wrong_issuer_and_audience_show_expected_and_found_down_to_a_trailing_slash() {
    let dir = TempDir::new("near-miss");
    keygen(&dir, "EdDSA", "k.jwk");
    jwks_file(&dir, &["k.jwk"], "jwks.json");
    let mint_as = |issuer: &str| {
        let args = [
            "mint",
            "--key",
            "k.jwk",
            "--issuer",
            issuer,
            "--plugin",
            PLUGIN,
            "--subject",
            "48213",
            "--role",
            "cliente",
        ];
        run(&dir, &args).ok().trim().to_owned()
    };
    let verify_as = |issuer: &str, plugin: &str, token: &str| {
        let args = [
            "verify",
            "--jwks",
            "jwks.json",
            "--issuer",
            issuer,
            "--plugin",
            plugin,
            token,
        ];
        run(&dir, &args)
    };
    let second_line = |out: &Run| out.stderr.lines().nth(1).unwrap_or_default().to_owned();

    // The portal mints with a trailing slash; the vendor expects none.
    let slashed = format!("{ISS}/");
    let out = verify_as(ISS, PLUGIN, &mint_as(&slashed));
    let line = out.fails(1, "wrong_issuer");
    assert_eq!(
        line,
        format!("error[wrong_issuer]: wrong issuer: expected \"{ISS}\", found \"{ISS}/\"")
    );
    assert_eq!(
        second_line(&out),
        "hint: the token's issuer ends with a slash and --issuer does not; issuer ids are \
         compared exactly, so pass --issuer as the portal writes it, slash included"
    );
    assert!(out.stdout.is_empty());

    // The other way round.
    let out = verify_as(&slashed, PLUGIN, &mint_as(ISS));
    let line = out.fails(1, "wrong_issuer");
    assert_eq!(
        line,
        format!("error[wrong_issuer]: wrong issuer: expected \"{ISS}/\", found \"{ISS}\"")
    );
    assert_eq!(
        second_line(&out),
        "hint: --issuer ends with a slash and the token's issuer does not; issuer ids are \
         compared exactly"
    );

    // A long issuer is quoted by head and tail, so the slash still shows, and so does the hint.
    let long = format!("https://portal-{}.construtora.com.br", "x".repeat(100));
    let out = verify_as(&long, PLUGIN, &mint_as(&format!("{long}/")));
    let line = out.fails(1, "wrong_issuer");
    assert!(
        line.contains(&format!("expected \"{long}\", found \"https://")),
        "{line}"
    );
    assert!(
        line.contains('…') && line.ends_with(".construtora.com.br/\""),
        "the tail of the found issuer is kept: {line}"
    );
    assert!(second_line(&out).contains("ends with a slash"), "{out:#?}");

    // Any other difference is shown without a hint.
    let out = verify_as("https://outra.example.com.br", PLUGIN, &mint_as(ISS));
    out.fails(1, "wrong_issuer");
    assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
    let out = verify_as(&ISS.replace("https", "http"), PLUGIN, &mint_as(ISS));
    out.fails(1, "wrong_issuer");
    assert!(second_line(&out).contains("http against https"), "{out:#?}");

    // The audience: expected and found, and a hint when only the letter case differs.
    let out = verify_as(ISS, "Financeiro", &mint_as(ISS));
    let line = out.fails(1, "wrong_audience");
    assert_eq!(
        line,
        "error[wrong_audience]: wrong audience: expected \"Financeiro\", found \"financeiro\""
    );
    assert_eq!(
        second_line(&out),
        "hint: they differ only in letter case; plugin ids are compared exactly"
    );
}

#[test]
fn pasted_token_mistakes_are_refused_with_a_hint_naming_them() {
    let dir = TempDir::new("pasted");
    keygen(&dir, "EdDSA", "k.jwk");
    jwks_file(&dir, &["k.jwk"], "jwks.json");
    let token = mint(&dir, "k.jwk", &[]);
    let verify_args = [
        "verify",
        "--jwks",
        "jwks.json",
        "--issuer",
        ISS,
        "--plugin",
        PLUGIN,
    ];
    let cases = [
        (format!("\"{token}\""), "hint: the token is in quotes"),
        (format!("'{token}'"), "hint: the token is in quotes"),
        (
            format!("Bearer {token}"),
            "hint: remove the `Bearer ` prefix",
        ),
        (
            format!("Authorization: Bearer {token}"),
            "hint: this is a whole Authorization header",
        ),
        (
            format!("https://erp.example.com/x?empresa=7&token={token}"),
            "hint: this is a whole launch URL",
        ),
        (format!("token={token}"), "hint: this is a form body"),
        (
            format!("empresa=7&token={token}"),
            "hint: this is a form body",
        ),
        (
            format!("{}\n{}", &token[..40], &token[40..]),
            "hint: the token has a space or line break inside",
        ),
        (r#"{"sub":"48213"}"#.to_owned(), "hint: this is JSON"),
    ];
    for (pasted, hint) in &cases {
        // The code stays the library's own: what a vendor's server logs for the same text.
        let code = UntrustedToken::parse(pasted).unwrap_err().code();
        assert!(
            matches!(code, "malformed" | "non_canonical_base64"),
            "{pasted:?}: {code}"
        );
        let as_argument = run(&dir, &[&verify_args[..], &[pasted.as_str()]].concat());
        let from_stdin = run_stdin(&dir, &verify_args, format!("{pasted}\n").as_bytes());
        for out in [as_argument, from_stdin] {
            out.fails(1, code);
            let lines: Vec<&str> = out.stderr.lines().collect();
            assert_eq!(lines.len(), 2, "{pasted:?}: {out:#?}");
            assert!(lines[1].starts_with(hint), "{pasted:?}: {out:#?}");
            assert!(out.stdout.is_empty());
            assert!(!out.stderr.contains(&token), "the token is not echoed");
        }
        let out = run(&dir, &["inspect", pasted]);
        assert_eq!(out.code, 1, "{out:#?}");
        assert!(
            out.stderr
                .lines()
                .nth(1)
                .unwrap_or_default()
                .starts_with(hint),
            "inspect {pasted:?}: {out:#?}"
        );
    }

    // Nothing to verify: an empty stdin (the command before the pipe failed) or argument.
    for stdin in [&b""[..], b" \n\n"] {
        let out = run_stdin(&dir, &verify_args, stdin);
        out.fails(1, "malformed");
        assert!(
            out.stderr.contains("\nhint: stdin was empty"),
            "{stdin:?}: {out:#?}"
        );
        let out = run_stdin(&dir, &["inspect"], stdin);
        out.fails(1, "malformed");
        assert!(out.stderr.contains("\nhint: stdin was empty"), "{out:#?}");
    }
    let out = run(&dir, &[&verify_args[..], &[""]].concat());
    out.fails(1, "malformed");
    assert!(
        out.stderr
            .contains("\nhint: the TOKEN argument is empty: is the shell variable set?"),
        "{out:#?}"
    );

    // A malformed token with no recognizable mistake gets no hint.
    let out = verify(&dir, "garbage", &[]);
    out.fails(1, "malformed");
    assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
}

#[test]
fn whitespace_around_a_token_is_ignored_with_a_warning() {
    let dir = TempDir::new("whitespace");
    keygen(&dir, "EdDSA", "k.jwk");
    jwks_file(&dir, &["k.jwk"], "jwks.json");
    let warning = "warning: ignored the whitespace around the token; the library refuses a token \
                   with it (non_canonical_base64), so a server must pass the bare token";

    let token = mint(&dir, "k.jwk", &[]);
    let out = verify(&dir, &format!("  {token}\n"), &[]);
    assert_eq!(out.json()["aud"], PLUGIN);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{out:#?}");
    assert_eq!(lines[0], warning);
    assert!(lines[1].starts_with("verified: "), "{out:#?}");

    let out = run(&dir, &["inspect", &format!(" {token} ")]);
    assert_eq!(out.json()["verified"], false);
    assert_eq!(out.stderr, format!("{warning}\n"));
    // The line end of stdin is how a pipe delivers a line: no warning.
    let out = run_stdin(&dir, &["inspect"], format!("{token}\r\n").as_bytes());
    assert_eq!(out.json()["verified"], false);
    assert!(out.stderr.is_empty(), "{out:#?}");
}

#[test]
fn verify_says_on_stderr_that_the_token_verified() {
    let dir = TempDir::new("verified");
    for alg in ["EdDSA", "ES256"] {
        let kid = keygen(&dir, alg, "k.jwk");
        jwks_file(&dir, &["k.jwk"], "jwks.json");
        let token = mint(&dir, "k.jwk", &["--ttl", "60"]);
        let out = verify(&dir, &token, &[]);
        // stdout stays the claims JSON alone, so scripts keep working.
        assert_eq!(out.json()["sub"], "48213");
        assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
        let line = out.first_stderr_line();
        let prefix = format!(
            "verified: signed with kid \"{kid}\" ({alg}); issuer, audience and times are as \
             expected; expires in "
        );
        let seconds = line
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(" s"))
            .unwrap_or_else(|| panic!("{line}"));
        assert!(
            (55..=60).contains(&seconds.parse::<i64>().unwrap()),
            "{line}"
        );
        fs::remove_file(dir.path("k.jwk")).unwrap();
    }

    // Accepted within the leeway after exp: said so.
    keygen(&dir, "EdDSA", "k.jwk");
    jwks_file(&dir, &["k.jwk"], "jwks.json");
    let late = token_at(&dir, "k.jwk", now() - 310, PLUGIN);
    let out = verify(&dir, &late, &[]);
    assert_eq!(out.json()["aud"], PLUGIN);
    assert!(
        out.first_stderr_line()
            .ends_with(" s ago, accepted within the leeway"),
        "{out:#?}"
    );
}

#[test]
fn verify_jwks_accepts_one_public_jwk_and_names_a_private_key() {
    let dir = TempDir::new("verify-jwk");
    keygen(&dir, "ES256", "k.jwk");
    let token = mint(&dir, "k.jwk", &[]);
    let verify_with = |jwks: &str| verify_with_jwks(&dir, jwks, &token);
    // One public JWK, as `cvplugin jwks` reads it.
    let set = run(&dir, &["jwks", "k.jwk"]).json();
    dir.write("public.jwk", set["keys"][0].to_string());
    assert_eq!(verify_with("public.jwk").json()["sub"], "48213");
    let mut wrong_kid = set["keys"][0].clone();
    wrong_kid["kid"] = "not-the-thumbprint".into();
    dir.write("wrong-kid.jwk", wrong_kid.to_string());
    verify_with("wrong-kid.jwk").fails(2, "kid_mismatch");

    // A private key, in any format: named as such, nothing of it echoed.
    let private = fs::read_to_string(dir.path("k.jwk")).unwrap();
    let key = SigningKey::from_jwk(&private).unwrap();
    dir.write("k.pem", key.to_pkcs8_pem());
    dir.write("k.der", key.to_pkcs8_der());
    dir.write(
        "sec1.pem",
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n",
    );
    let d = serde_json::from_str::<Value>(&private).unwrap()["d"]
        .as_str()
        .unwrap()
        .to_owned();
    for file in ["k.jwk", "k.pem", "k.der", "sec1.pem"] {
        let out = verify_with(file);
        let line = out.fails(2, "private_key_in_public_set");
        assert_eq!(
            line,
            format!(
                "error[private_key_in_public_set]: {file}: this is a private key; give the JWKS \
                 the portal publishes (cvplugin jwks KEYFILE)"
            )
        );
        assert!(!out.stderr.contains(&d[..8]), "{out:#?}");
    }

    // Other PEM blocks are not read, with a hint.
    dir.write(
        "public.pem",
        "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n",
    );
    let out = verify_with("public.pem");
    out.fails(2, "invalid_json");
    assert!(
        out.stderr.contains("\nhint: a PEM block is not read here"),
        "{out:#?}"
    );
}

// ------------------------------------------------------------------------------------------------
// mint and key files

#[test]
fn mint_validates_ttl_and_key_files() {
    let dir = TempDir::new("mint");
    keygen(&dir, "EdDSA", "k.jwk");
    jwks_file(&dir, &["k.jwk"], "jwks.json");

    for ttl in ["0", "29", "3601", "18446744073709551615"] {
        let mint_args = [
            "mint",
            "--key",
            "k.jwk",
            "--issuer",
            ISS,
            "--plugin",
            PLUGIN,
            "--subject",
            "1",
            "--role",
            "sindico",
            "--ttl",
            ttl,
        ];
        let line = run(&dir, &mint_args)
            .fails(2, "auth_lifetime_out_of_range")
            .to_owned();
        assert!(
            line.starts_with("error[auth_lifetime_out_of_range]: --ttl: "),
            "{line}"
        );
    }
    for ttl in ["30", "3600"] {
        let token = mint(&dir, "k.jwk", &["--ttl", ttl]);
        let claims = verify(&dir, &token, &[]).json();
        let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
        assert_eq!(lifetime.to_string(), ttl);
    }

    let mint_key = |key: &str| {
        run(
            &dir,
            &[
                "mint",
                "--key",
                key,
                "--issuer",
                ISS,
                "--plugin",
                PLUGIN,
                "--subject",
                "1",
                "--role",
                "cliente",
            ],
        )
    };
    mint_key("missing.jwk").fails(2, "io");
    dir.write("empty.jwk", "");
    mint_key("empty.jwk").fails(2, "key");
    dir.write("blank.jwk", "\n\n  \n");
    mint_key("blank.jwk").fails(2, "key");
    dir.write("text.jwk", "hello, world");
    mint_key("text.jwk").fails(2, "key");
    dir.write("binary.jwk", noise(500, 4));
    let line = mint_key("binary.jwk").first_stderr_line().to_owned();
    assert!(
        line.starts_with("error[key]: ") || line.starts_with("error[invalid_pkcs8]: "),
        "{line}"
    );
    dir.write("der-garbage.jwk", [0x30, 0x03, 0x02, 0x01, 0x00]);
    mint_key("der-garbage.jwk").fails(2, "invalid_pkcs8");
    let private = fs::read_to_string(dir.path("k.jwk")).unwrap();
    dir.write("truncated.jwk", &private[..private.len() / 2]);
    mint_key("truncated.jwk").fails(2, "invalid_json");
    mint_key("jwks.json").fails(2, "key");
    let public = serde_json::from_str::<Value>(&fs::read_to_string(dir.path("jwks.json")).unwrap())
        .unwrap()["keys"][0]
        .to_string();
    dir.write("public.jwk", &public);
    let line = mint_key("public.jwk")
        .fails(2, "public_key_instead_of_private")
        .to_owned();
    assert!(
        line.starts_with(
            "error[public_key_instead_of_private]: public.jwk: this is a public key; signing needs"
        ),
        "the public key is named as such, not as a missing coordinate: {line}"
    );
    let mut wrong_kid: Value = serde_json::from_str(&private).unwrap();
    wrong_kid["kid"] = "not-the-thumbprint".into();
    dir.write("wrong-kid.jwk", wrong_kid.to_string());
    mint_key("wrong-kid.jwk").fails(2, "kid_mismatch");
    dir.write(
        "public.pem",
        "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n",
    );
    let line = mint_key("public.pem")
        .fails(2, "public_key_instead_of_private")
        .to_owned();
    assert!(line.contains("public.pem: this is a public key"), "{line}");
    // A SEC1 key as `openssl ecparam -name prime256v1 -genkey` writes it (TEST ONLY) signs; a
    // broken one is named as SEC1.
    dir.write(
        "sec1.pem",
        "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n\
         -----BEGIN EC PRIVATE KEY-----\n\
         MHcCAQEEIDXiAQYqWF1T/h91kIhWNQj9a+kinREux+GjaWFI78zuoAoGCCqGSM49\n\
         AwEHoUQDQgAErd0OwLCtI4z/8QqSUtxKRwgcjqz8cOqsA+2YbAsOq8s9R1gV0QmX\n\
         nuYOyQxJmsun966c35zNDvC0JNOyTD1rqQ==\n-----END EC PRIVATE KEY-----\n",
    );
    mint_key("sec1.pem").ok();
    dir.write(
        "sec1-broken.pem",
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n",
    );
    mint_key("sec1-broken.pem").fails(2, "invalid_sec1");
    dir.write(
        "encrypted.pem",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n",
    );
    let out = mint_key("encrypted.pem");
    out.fails(2, "invalid_pem");
    assert!(
        out.stderr.contains("\nhint: the key is encrypted"),
        "{out:#?}"
    );
    dir.write(
        "bad.pem",
        "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n",
    );
    let line = mint_key("bad.pem").first_stderr_line().to_owned();
    assert!(
        line.starts_with("error[invalid_pem]: ") || line.starts_with("error[invalid_pkcs8]: "),
        "{line}"
    );
    // Nothing of the key file is ever echoed.
    let d = serde_json::from_str::<Value>(&private).unwrap()["d"]
        .as_str()
        .unwrap()
        .to_owned();
    for name in ["truncated.jwk", "wrong-kid.jwk"] {
        let out = mint_key(name);
        assert!(!out.stderr.contains(&d[..8]), "{out:?}");
    }
}

#[test]
fn pkcs8_pem_and_der_keys_are_accepted() {
    let dir = TempDir::new("pkcs8");
    for alg in [Algorithm::EdDSA, Algorithm::ES256] {
        let key = SigningKey::generate(alg).unwrap();
        dir.write("k.pem", key.to_pkcs8_pem());
        dir.write("k.der", key.to_pkcs8_der());
        for file in ["k.pem", "k.der"] {
            let set = run(&dir, &["jwks", file]).json();
            assert_eq!(set["keys"][0]["kid"], key.kid(), "{file}");
            assert_eq!(set["keys"][0]["alg"], alg.as_str());
        }
        jwks_file(&dir, &["k.pem"], "jwks.json");
        let token = mint(&dir, "k.pem", &[]);
        verify(&dir, &token, &[]).json();
        let token = mint(&dir, "k.der", &[]);
        verify(&dir, &token, &[]).json();
    }
}

// ------------------------------------------------------------------------------------------------
// jwks

#[test]
fn jwks_merges_key_files_and_rejects_duplicates() {
    let dir = TempDir::new("jwks");
    let a = keygen(&dir, "EdDSA", "a.jwk");
    let b = keygen(&dir, "ES256", "b.jwk");
    let set = run(&dir, &["jwks", "a.jwk", "b.jwk"]).json();
    let keys = set["keys"].as_array().unwrap();
    let kids: Vec<&str> = keys.iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids, vec![a.as_str(), b.as_str()]);
    for key in keys {
        assert_eq!(key["use"], "sig");
        assert!(key.get("d").is_none(), "no private member: {key}");
    }
    // The output is a JWKS the library reads, and a rotation can publish from it.
    let jwks = dir.write("ab.json", run(&dir, &["jwks", "a.jwk", "b.jwk"]).ok());
    let parsed =
        cv_portal_plugin::KeySet::from_jwks_json(&fs::read_to_string(&jwks).unwrap()).unwrap();
    assert_eq!(parsed.len(), 2);
    let c = keygen(&dir, "EdDSA", "c.jwk");
    dir.write("public-a.jwk", keys[0].to_string());
    let set = run(&dir, &["jwks", "public-a.jwk", "c.jwk"]).json();
    assert_eq!(set["keys"][1]["kid"], c.as_str());
    let set = run(&dir, &["jwks", "ab.json", "c.jwk"]).json();
    assert_eq!(set["keys"].as_array().unwrap().len(), 3);

    let line = run(&dir, &["jwks", "a.jwk", "b.jwk", "a.jwk"])
        .fails(2, "duplicate_kid")
        .to_owned();
    assert!(line.contains(&a), "{line}");
    run(&dir, &["jwks", "ab.json", "b.jwk"]).fails(2, "duplicate_kid");
    run(&dir, &["jwks", "public-a.jwk", "a.jwk"]).fails(2, "duplicate_kid");

    run(&dir, &["jwks", "a.jwk", "missing.jwk"]).fails(2, "io");
    dir.write("empty.jwk", "");
    run(&dir, &["jwks", "empty.jwk"]).fails(2, "key");
    dir.write("array.jwk", "{\"keys\": 5}");
    run(&dir, &["jwks", "array.jwk"]).fails(2, "invalid_jwk");
    dir.write("rsa.jwk", r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#);
    run(&dir, &["jwks", "rsa.jwk"]).fails(2, "unsupported_key_type");
    dir.write("big.jwk", vec![b' '; 2 << 20]);
    let line = run(&dir, &["jwks", "big.jwk"]).fails(2, "io").to_owned();
    assert!(line.contains("1 MiB"), "{line}");
}

// ------------------------------------------------------------------------------------------------
// inspect

#[test]
fn inspect_decodes_without_verifying() {
    let dir = TempDir::new("inspect");
    keygen(&dir, "EdDSA", "k.jwk");
    // Expired and for another plugin: inspect does not care.
    let token = token_at(&dir, "k.jwk", 1_000_000_000, "boletos");
    let out = run(&dir, &["inspect", &token]).json();
    assert_eq!(out["verified"], false);
    assert!(out["warning"].as_str().unwrap().starts_with("NOT VERIFIED"));
    assert_eq!(out["header"]["typ"], "cv-plugin-launch+jwt");
    assert_eq!(out["header"]["alg"], "EdDSA");
    assert_eq!(out["claims"]["aud"], "boletos");
    assert_eq!(out["claims"]["iat"], 1_000_000_000);
    assert_eq!(out["signature_len"], 64);
    // The same from stdin.
    let from_stdin = run_stdin(&dir, &["inspect"], format!("{token}\n").as_bytes()).json();
    assert_eq!(from_stdin, out);
    // Even a forged token decodes (it is only decoded).
    let forged = format!(
        "{}.{}.",
        b64_json(&serde_json::json!({"alg": "none"})),
        b64_json(&serde_json::json!({"sub": "admin"}))
    );
    let out = run(&dir, &["inspect", &forged]).json();
    assert_eq!(out["claims"]["sub"], "admin");
    assert_eq!(out["verified"], false);
}

#[test]
fn inspect_rejects_what_it_cannot_decode() {
    let dir = TempDir::new("inspect-bad");
    let line = run(&dir, &["inspect", "garbage"])
        .fails(1, "malformed")
        .to_owned();
    assert!(
        line.starts_with("error[malformed]: malformed token: "),
        "{line}"
    );
    run(&dir, &["inspect", "a.b.c.d"]).fails(1, "malformed");
    run(&dir, &["inspect", "a.b.c"]).fails(1, "non_canonical_base64");
    run(&dir, &["inspect", "e30.e30.AB"]).fails(1, "non_canonical_base64");
    run(&dir, &["inspect", "eyJ9.e30.AA"]).fails(1, "malformed");
    let array = URL_SAFE_NO_PAD.encode("[1,2]");
    run(&dir, &["inspect", &format!("{array}.{array}.")]).fails(1, "malformed");
    let not_json = URL_SAFE_NO_PAD.encode(noise(100, 5));
    run(&dir, &["inspect", &format!("{not_json}.{not_json}.")]).fails(1, "malformed");
    let deep = URL_SAFE_NO_PAD.encode(format!("{}{}", "[".repeat(5000), "]".repeat(5000)));
    run(&dir, &["inspect", &format!("{deep}.{deep}.")]).fails(1, "malformed");
    run_stdin(&dir, &["inspect"], b"").fails(1, "malformed");
    run_stdin(&dir, &["inspect"], &noise(1000, 6)).fails(1, "malformed");
    run_stdin(&dir, &["inspect"], &noise(10 << 20, 7)).fails(1, "token_too_large");
    run(&dir, &["inspect", &"x".repeat(100_000)]).fails(1, "token_too_large");
}

// ------------------------------------------------------------------------------------------------
// config check

#[test]
fn config_check_accepts_a_valid_file() {
    let dir = TempDir::new("config-ok");
    dir.write("financeiro.json", VALID_CONFIG);
    let out = run(&dir, &["config", "check", "financeiro.json"]);
    assert_eq!(out.ok(), "financeiro.json: ok (algorithm EdDSA)\n");
    assert!(out.stderr.is_empty());
    dir.write("copy.json", VALID_CONFIG);
    let out = run(&dir, &["config", "check", "financeiro.json", "copy.json"]);
    assert_eq!(
        out.ok(),
        "financeiro.json: ok (algorithm EdDSA)\ncopy.json: ok (algorithm EdDSA)\n"
    );
}

#[test]
fn config_check_lists_every_problem() {
    let dir = TempDir::new("config-bad");
    dir.write("bad.json", INVALID_CONFIG);
    dir.write("good.json", VALID_CONFIG);
    let errors = PluginConfig::from_json(INVALID_CONFIG).unwrap_err();
    assert!(errors.len() >= 5, "the fixture has many problems");

    let out = run(&dir, &["config", "check", "good.json", "bad.json"]);
    let first = errors.iter().next().unwrap();
    out.fails(1, first.code());
    assert_eq!(out.stdout, "good.json: ok (algorithm EdDSA)\n");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(
        lines[0].contains("bad.json") && lines[0].contains(&format!("{} problems", errors.len()))
    );
    let expected: Vec<String> = errors
        .iter()
        .map(|e| {
            let at = if e.path().is_empty() {
                "(document)"
            } else {
                e.path()
            };
            format!("bad.json: {} at {at}: {}", e.code(), e.message_en())
        })
        .collect();
    assert_eq!(lines[1..], expected[..]);
    for code in [
        "id_invalid_character",
        "link_not_https",
        "icon_unknown",
        "auth_lifetime_out_of_range",
    ] {
        assert!(
            out.stderr.contains(&format!("bad.json: {code} at ")),
            "{code}: {}",
            out.stderr
        );
    }

    // In Portuguese.
    let out = run(&dir, &["config", "check", "--lang", "pt-BR", "bad.json"]);
    out.fails(1, first.code());
    let expected_pt: Vec<String> = errors
        .iter()
        .map(|e| {
            let at = if e.path().is_empty() {
                "(document)"
            } else {
                e.path()
            };
            format!("bad.json: {} at {at}: {}", e.code(), e.message_pt_br())
        })
        .collect();
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines[1..], expected_pt[..]);
    assert!(out.stderr.contains("Ícone") || out.stderr.contains("Link"));
    // The language name is case-insensitive.
    run(&dir, &["config", "check", "--lang", "PT-br", "bad.json"]).fails(1, first.code());

    // Syntax errors and non-objects are invalid configurations too.
    dir.write("empty.json", "");
    let out = run(&dir, &["config", "check", "empty.json"]);
    out.fails(1, "json_syntax");
    assert!(
        out.stderr
            .contains("empty.json: json_syntax at (document): "),
        "{}",
        out.stderr
    );
    dir.write("array.json", "[]");
    run(&dir, &["config", "check", "array.json"]).fails(1, "json_wrong_type");
    dir.write("truncated.json", &VALID_CONFIG[..VALID_CONFIG.len() / 2]);
    run(&dir, &["config", "check", "truncated.json"]).fails(1, "json_syntax");
}

#[test]
fn config_check_io_errors_exit_2_and_other_files_are_still_checked() {
    let dir = TempDir::new("config-io");
    dir.write("good.json", VALID_CONFIG);
    dir.write("bad.json", INVALID_CONFIG);
    let out = run(
        &dir,
        &["config", "check", "missing.json", "good.json", "bad.json"],
    );
    out.fails(2, "io");
    assert_eq!(out.stdout, "good.json: ok (algorithm EdDSA)\n");
    assert!(
        out.stderr.contains("missing.json: io at (file): "),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("bad.json: link_not_https at link: "),
        "{}",
        out.stderr
    );

    dir.write("binary.json", noise(2000, 8));
    let line = run(&dir, &["config", "check", "binary.json"])
        .fails(2, "io")
        .to_owned();
    assert!(line.contains("UTF-8"), "{line}");
    dir.write("huge.json", vec![b' '; (1 << 20) + 1]);
    run(&dir, &["config", "check", "huge.json"]).fails(2, "io");
    // Invalid first, unreadable second: the first line names the first failure, exit 2.
    let first_code = PluginConfig::from_json(INVALID_CONFIG)
        .unwrap_err()
        .iter()
        .next()
        .unwrap()
        .code();
    let out = run(&dir, &["config", "check", "bad.json", "missing.json"]);
    out.fails(2, first_code);
    assert!(
        out.stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("missing.json: io at (file): ")
    );
}

// ------------------------------------------------------------------------------------------------
// launch-url

fn launch_args<'a>(config: &'a str, role: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "launch-url",
        "--config",
        config,
        "--key",
        "k.jwk",
        "--issuer",
        ISS,
        "--subject",
        "48213",
        "--role",
        role,
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn launch_url_prints_the_url_or_the_form_post_page() {
    let dir = TempDir::new("launch");
    keygen(&dir, "ES256", "k.jwk");
    jwks_file(&dir, &["k.jwk"], "jwks.json");
    // The key is ES256, so the plugin is configured for ES256 (the default is EdDSA).
    dir.write("financeiro.json", es256_config(VALID_CONFIG));

    let out = run(&dir, &launch_args("financeiro.json", "sindico", &[]));
    let url = out.ok().trim_end_matches('\n');
    let prefix = "https://erp.example.com/portal/financeiro?empresa=7&token=";
    assert!(url.starts_with(prefix), "{url}");
    assert_eq!(out.stdout.lines().count(), 1);
    let token = &url[prefix.len()..];
    let claims = verify(&dir, token, &[]).json();
    assert_eq!(claims["role"], "sindico");
    assert_eq!(claims["aud"], "financeiro");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        120
    );

    let out = run(
        &dir,
        &launch_args("financeiro.json", "cliente", &["--form-post"]),
    );
    let html = out.ok();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains(
        "<form method=\"post\" action=\"https://erp.example.com/portal/financeiro?empresa=7\""
    ));
    assert!(html.contains("no-referrer"));
    assert!(
        !html.contains("?empresa=7&amp;token="),
        "the token is not in the URL"
    );
    let (_, rest) = html.split_once("name=\"token\" value=\"").unwrap();
    let (token, _) = rest.split_once('"').unwrap();
    let claims = verify(&dir, token, &[]).json();
    assert_eq!(claims["role"], "cliente");
}

#[test]
fn launch_url_refuses_like_the_menu() {
    let dir = TempDir::new("launch-refused");
    keygen(&dir, "EdDSA", "k.jwk");
    dir.write("financeiro.json", VALID_CONFIG);
    // Not shown in the manager panel.
    let line = run(&dir, &launch_args("financeiro.json", "gestor", &[]))
        .fails(1, "not_visible_to_viewer")
        .to_owned();
    assert!(line.contains("gestor"), "{line}");
    dir.write(
        "inactive.json",
        VALID_CONFIG.replace("\"active\": true", "\"active\": false"),
    );
    run(&dir, &launch_args("inactive.json", "cliente", &[])).fails(1, "plugin_inactive");
    run(
        &dir,
        &launch_args("inactive.json", "cliente", &["--form-post"]),
    )
    .fails(1, "plugin_inactive");

    // An invalid configuration is rejected with every problem listed.
    dir.write("bad.json", INVALID_CONFIG);
    let errors = PluginConfig::from_json(INVALID_CONFIG).unwrap_err();
    let out = run(&dir, &launch_args("bad.json", "cliente", &[]));
    out.fails(1, errors.iter().next().unwrap().code());
    assert_eq!(out.stderr.lines().count(), 1 + errors.len());
    assert!(out.stdout.is_empty());

    run(&dir, &launch_args("missing.json", "cliente", &[])).fails(2, "io");
    dir.write("binary.json", noise(100, 9));
    run(&dir, &launch_args("binary.json", "cliente", &[])).fails(2, "io");
    fs::remove_file(dir.path("k.jwk")).unwrap();
    run(&dir, &launch_args("financeiro.json", "cliente", &[])).fails(2, "io");
    let args = [
        "launch-url",
        "--config",
        "financeiro.json",
        "--key",
        "k.jwk",
        "--issuer",
        ISS,
        "--subject",
        "a b",
        "--role",
        "cliente",
    ];
    run(&dir, &args).fails(2, "usage");
}

// ------------------------------------------------------------------------------------------------
// Hostile inputs everywhere

#[test]
fn hostile_inputs_never_panic() {
    let dir = TempDir::new("hostile");
    keygen(&dir, "EdDSA", "k.jwk");
    jwks_file(&dir, &["k.jwk"], "jwks.json");
    let private = fs::read_to_string(dir.path("k.jwk")).unwrap();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("binary", noise(4096, 10)),
        (
            "truncated",
            private.as_bytes()[..private.len() / 3].to_vec(),
        ),
        ("nul", vec![0; 100]),
        (
            "deep",
            format!("{}{}", "{\"a\":".repeat(10_000), "}".repeat(10_000)).into_bytes(),
        ),
        (
            "deep-array",
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
        ),
        ("number", b"{\"keys\":[1e999999999]}".to_vec()),
        ("pem-only", b"-----BEGIN PRIVATE KEY-----".to_vec()),
        ("der-only", vec![0x30]),
        (
            "der-long",
            [vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff], noise(100, 11)].concat(),
        ),
        ("huge", vec![b'{'; 3 << 20]),
    ];
    for (name, contents) in &files {
        dir.write(name, contents);
    }
    fs::create_dir(dir.path("a-dir")).unwrap();
    let names: Vec<&str> = files
        .iter()
        .map(|(n, _)| *n)
        .chain(["a-dir", "missing"])
        .collect();
    let long_arg = "\u{1F600}".repeat(25_000); // 100 KB of 4-byte characters
    for name in &names {
        let cases: Vec<Vec<&str>> = vec![
            vec!["jwks", name],
            vec!["jwks", "k.jwk", name],
            vec![
                "mint",
                "--key",
                name,
                "--issuer",
                ISS,
                "--plugin",
                PLUGIN,
                "--subject",
                "1",
                "--role",
                "gestor",
            ],
            vec![
                "verify", "--jwks", name, "--issuer", ISS, "--plugin", PLUGIN, "a.b.c",
            ],
            vec!["config", "check", name],
            vec![
                "launch-url",
                "--config",
                name,
                "--key",
                "k.jwk",
                "--issuer",
                ISS,
                "--subject",
                "1",
                "--role",
                "cliente",
            ],
        ];
        for args in cases {
            let out = run(&dir, &args);
            assert!(
                matches!(out.code, 1 | 2) && out.first_stderr_line().starts_with("error["),
                "{args:?}: {out:#?}"
            );
        }
    }
    let stdins: Vec<Vec<u8>> = vec![
        Vec::new(),
        noise(100_000, 12),
        vec![0; 5000],
        vec![b'.'; 10 << 20],
        private.clone().into_bytes(),
    ];
    for stdin in &stdins {
        for args in [
            vec!["inspect"],
            vec![
                "verify",
                "--jwks",
                "jwks.json",
                "--issuer",
                ISS,
                "--plugin",
                PLUGIN,
            ],
            vec![
                "verify",
                "--jwks",
                "jwks.json",
                "--issuer",
                ISS,
                "--plugin",
                PLUGIN,
                "-",
            ],
        ] {
            let out = run_stdin(&dir, &args, stdin);
            assert_eq!(out.code, 1, "{args:?}: {out:#?}");
            assert!(out.first_stderr_line().starts_with("error["), "{out:#?}");
        }
    }
    for args in [
        vec!["inspect", long_arg.as_str()],
        vec![
            "verify",
            "--jwks",
            "jwks.json",
            "--issuer",
            ISS,
            "--plugin",
            PLUGIN,
            &long_arg,
        ],
        vec![
            "verify",
            "--jwks",
            "jwks.json",
            "--issuer",
            &long_arg,
            "--plugin",
            PLUGIN,
            "t",
        ],
        vec![
            "verify",
            "--jwks",
            "jwks.json",
            "--issuer",
            ISS,
            "--plugin",
            &long_arg,
            "t",
        ],
        vec![
            "verify", "--jwks", &long_arg, "--issuer", ISS, "--plugin", PLUGIN, "t",
        ],
        vec![
            "mint",
            "--key",
            "k.jwk",
            "--issuer",
            ISS,
            "--plugin",
            PLUGIN,
            "--subject",
            &long_arg,
            "--role",
            "cliente",
        ],
        vec![
            "mint",
            "--key",
            "k.jwk",
            "--issuer",
            ISS,
            "--plugin",
            PLUGIN,
            "--subject",
            "1",
            "--role",
            &long_arg,
        ],
        vec!["config", "check", &long_arg],
        vec!["keygen", "--out", &long_arg],
        vec![&long_arg],
    ] {
        let out = run(&dir, &args);
        assert!(matches!(out.code, 1 | 2), "{out:#?}");
        let line = out.first_stderr_line();
        assert!(line.starts_with("error["), "{line}");
        assert!(
            line.len() < 2000,
            "long input is not echoed in full: {} bytes",
            line.len()
        );
    }
}

#[cfg(unix)]
#[test]
fn a_closed_stdout_is_not_a_panic() {
    let dir = TempDir::new("closed-stdout");
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("'{BIN}' keygen --alg ES256 | head -c 0; '{BIN}' --help | head -c 1 >/dev/null; echo done"))
        .current_dir(&dir.0)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

// ------------------------------------------------------------------------------------------------
// config check: client data grants and warnings

/// `VALID_CONFIG` with `"client_data": GRANTS` (raw JSON).
fn with_grants(grants: &str) -> String {
    VALID_CONFIG.replacen(
        "\"auth\": {",
        &format!("\"client_data\": {grants},\n    \"auth\": {{"),
        1,
    )
}

#[test]
fn config_check_warns_about_personal_data_and_still_succeeds() {
    let dir = TempDir::new("config-grants");
    dir.write("none.json", VALID_CONFIG);
    dir.write(
        "personal.json",
        with_grants(r#"["units", "document", "name"]"#),
    );

    // Nothing granted: no warning.
    let out = run(&dir, &["config", "check", "none.json"]);
    assert_eq!(out.ok(), "none.json: ok (algorithm EdDSA)\n");
    assert!(out.stderr.is_empty(), "{}", out.stderr);

    let out = run(&dir, &["config", "check", "personal.json", "none.json"]);
    assert_eq!(
        out.ok(),
        "personal.json: ok (algorithm EdDSA)\nnone.json: ok (algorithm EdDSA)\n"
    );
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert!(
        lines[0].starts_with(
            "warning[personal_data_granted]: personal.json: client_data grants personal data \
             (name, document, units); deliver the plugin's launch by form POST"
        ),
        "{}",
        lines[0]
    );

    let out = run(
        &dir,
        &["config", "check", "--lang", "pt-BR", "personal.json"],
    );
    out.ok();
    assert!(
        out.stderr.starts_with(
            "warning[personal_data_granted]: personal.json: Dados do cliente: o plugin recebe \
             dados pessoais (name, document, units); entregue o acesso ao plugin por POST de formulário"
        ),
        "{}",
        out.stderr
    );

    // With an invalid file too: the first stderr line is still the error, the warning follows.
    dir.write("bad.json", INVALID_CONFIG);
    let out = run(&dir, &["config", "check", "personal.json", "bad.json"]);
    let first_code = PluginConfig::from_json(INVALID_CONFIG)
        .unwrap_err()
        .iter()
        .next()
        .unwrap()
        .code();
    out.fails(1, first_code);
    assert_eq!(out.stdout, "personal.json: ok (algorithm EdDSA)\n");
    assert!(
        out.stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("warning[personal_data_granted]: personal.json: "),
        "{}",
        out.stderr
    );
}

#[test]
fn config_check_reports_client_data_problems() {
    let dir = TempDir::new("config-grants-bad");
    dir.write("unknown.json", with_grants(r#"["name", "cpf"]"#));
    let out = run(&dir, &["config", "check", "unknown.json"]);
    out.fails(1, "client_data_unknown_field");
    assert!(
        out.stderr.contains(
            "unknown.json: client_data_unknown_field at client_data: client_data: unknown \
             client data field \"cpf\"; valid fields are: name, email, document, phone, units"
        ),
        "{}",
        out.stderr
    );
    // An invalid file gets no warning: its problems are what matters.
    assert!(!out.stderr.contains("warning["), "{}", out.stderr);

    dir.write("twice.json", with_grants(r#"["units", "units"]"#));
    let out = run(&dir, &["config", "check", "--lang", "pt-BR", "twice.json"]);
    out.fails(1, "client_data_duplicate_field");
    assert!(
        out.stderr
            .contains("Dados do cliente: \"units\" aparece mais de uma vez na lista"),
        "{}",
        out.stderr
    );

    dir.write("string.json", with_grants(r#""name""#));
    run(&dir, &["config", "check", "string.json"]).fails(1, "json_wrong_type");
}

// ------------------------------------------------------------------------------------------------
// discovery and client-data, against a portal on loopback (tests/common/http_portal.rs)

use http_portal::{Discovery, HttpPortal, KNOWN_SUBJECT};

/// `client-data` for the portal's issuer and plugin with `token` as --token, and `extra`.
fn client_data(dir: &TempDir, portal: &HttpPortal, token: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "client-data",
        "--issuer",
        portal.issuer(),
        "--plugin",
        http_portal::PLUGIN,
        "--token",
        token,
    ];
    args.extend_from_slice(extra);
    run(dir, &args)
}

#[test]
fn discovery_prints_the_checked_document() {
    let dir = TempDir::new("discovery");
    let portal = HttpPortal::start(Discovery::Normal);
    let out = run(&dir, &["discovery", "--issuer", portal.issuer()]);
    let document = out.json();
    assert_eq!(document["issuer"], portal.issuer());
    assert_eq!(document["protocol_version"], 1);
    assert_eq!(
        document["jwks_uri"],
        format!("{}/jwks.json", portal.issuer())
    );
    assert_eq!(
        document["client_data_endpoint"],
        format!("{}/client-data", portal.issuer())
    );
    assert_eq!(document["token_signing_alg_values_supported"][0], "EdDSA");
    // The documented order of members.
    let at = |member: &str| out.stdout.find(&format!("\"{member}\"")).unwrap();
    assert!(at("issuer") < at("protocol_version"));
    assert!(at("protocol_version") < at("jwks_uri"));
    assert!(at("jwks_uri") < at("client_data_endpoint"));
    assert!(at("client_data_endpoint") < at("token_signing_alg_values_supported"));
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert_eq!(portal.requests(), ["/.well-known/cv-plugin"]);
}

#[test]
fn client_data_prints_the_granted_fields_once_then_replayed() {
    let dir = TempDir::new("client-data");
    let portal = HttpPortal::start(Discovery::Normal);
    let token = portal.mint(KNOWN_SUBJECT);
    let out = client_data(&dir, &portal, &token, &[]);
    let data = out.json();
    assert_eq!(data["sub"], KNOWN_SUBJECT);
    assert_eq!(data["role"], "cliente");
    assert_eq!(data["plugin"], http_portal::PLUGIN);
    assert_eq!(data["name"], http_portal::NAME);
    // The lookup had an email; it was not granted, so it never left the portal.
    assert!(data.get("email").is_none(), "{data}");
    assert!(!out.stdout.contains(http_portal::EMAIL));
    assert!(
        out.stderr.starts_with(&format!(
            "warning: the token was sent to {}/client-data to be redeemed",
            portal.issuer()
        )),
        "{}",
        out.stderr
    );
    assert_eq!(
        portal.requests(),
        ["/.well-known/cv-plugin", "/jwks.json", "/client-data"]
    );

    // The second redemption is the portal's refusal: exit 1, its code, a hint.
    let again = client_data(&dir, &portal, &token, &[]);
    again.fails(1, "replayed");
    assert!(again.stdout.is_empty());
    assert!(
        again.stderr.contains("hint: a launch token redeems once"),
        "{}",
        again.stderr
    );
    assert!(!again.stderr.contains(&token), "the token is never shown");
    assert!(
        again
            .stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("warning: the token was sent to"),
        "{}",
        again.stderr
    );

    // The token on stdin, as verify reads it.
    let fresh = portal.mint(KNOWN_SUBJECT);
    let out = run_stdin(
        &dir,
        &[
            "client-data",
            "--issuer",
            portal.issuer(),
            "--plugin",
            http_portal::PLUGIN,
        ],
        format!("{fresh}\n").as_bytes(),
    );
    assert_eq!(out.json()["name"], http_portal::NAME);
}

#[test]
fn client_data_without_data_for_the_person_is_client_not_found() {
    let dir = TempDir::new("client-data-none");
    let portal = HttpPortal::start(Discovery::Normal);
    let token = portal.mint("99999");
    let out = client_data(&dir, &portal, &token, &[]);
    out.fails(1, "client_not_found");
    assert!(out.stdout.is_empty());
    // The redemption happened: the token is spent.
    client_data(&dir, &portal, &token, &[]).fails(1, "replayed");
}

#[test]
fn client_data_verifies_before_anything_is_redeemed() {
    let dir = TempDir::new("client-data-verify");
    let portal = HttpPortal::start(Discovery::Normal);
    let token = portal.mint(KNOWN_SUBJECT);
    let out = run(
        &dir,
        &[
            "client-data",
            "--issuer",
            portal.issuer(),
            "--plugin",
            "boletos",
            "--token",
            &token,
        ],
    );
    out.fails(1, "wrong_audience");
    assert!(!out.stderr.contains("redeem"), "{}", out.stderr);
    assert!(!portal.requests().contains(&"/client-data".to_owned()));
    // A token that is not even a token: nothing is fetched.
    client_data(&dir, &portal, "garbage", &[]).fails(1, "malformed");
    assert_eq!(portal.requests().len(), 2);
    // Another portal's token: refused by the verifier (its key is not this portal's).
    let other = HttpPortal::start(Discovery::Normal);
    client_data(&dir, &portal, &other.mint(KNOWN_SUBJECT), &[]).fails(1, "unknown_kid");
    // --leeway above the maximum is a usage error, before any request.
    let requests = portal.requests().len();
    client_data(&dir, &portal, &token, &["--leeway", "301"]).fails(2, "leeway_too_large");
    assert_eq!(portal.requests().len(), requests);
    // And the token, never redeemed, still is.
    assert_eq!(
        client_data(&dir, &portal, &token, &[]).json()["sub"],
        KNOWN_SUBJECT
    );
}

#[test]
fn redirects_are_not_followed() {
    let dir = TempDir::new("client-data-redirect");
    let portal = HttpPortal::start(Discovery::ClientDataAt("/moved"));
    let token = portal.mint(KNOWN_SUBJECT);
    let out = client_data(&dir, &portal, &token, &[]);
    out.fails(1, "data_unexpected_status");
    assert!(out.stderr.contains("302"), "{}", out.stderr);
    assert!(!portal.requests().contains(&"/client-data".to_owned()));

    let portal = HttpPortal::start(Discovery::Redirect);
    let out = run(&dir, &["discovery", "--issuer", portal.issuer()]);
    out.fails(1, "discovery_http_status");
    assert_eq!(portal.requests(), ["/.well-known/cv-plugin"]);
}

#[test]
fn an_answer_over_the_limit_is_refused() {
    let dir = TempDir::new("client-data-huge");
    let portal = HttpPortal::start(Discovery::ClientDataAt("/huge"));
    let token = portal.mint(KNOWN_SUBJECT);
    let out = client_data(&dir, &portal, &token, &[]);
    out.fails(1, "response_too_large");
    assert!(out.stdout.is_empty());
}

#[test]
fn discovery_naming_another_issuer_is_refused() {
    let dir = TempDir::new("discovery-issuer");
    let doc = r#"{"issuer":"{issuer}/","protocol_version":1,"jwks_uri":"{issuer}/jwks.json","client_data_endpoint":"{issuer}/client-data","token_signing_alg_values_supported":["EdDSA"]}"#;
    let portal = HttpPortal::start(Discovery::Body(doc.to_owned()));
    let out = run(&dir, &["discovery", "--issuer", portal.issuer()]);
    out.fails(1, "discovery_issuer_mismatch");
    assert!(out.stdout.is_empty());
    let token = portal.mint(KNOWN_SUBJECT);
    client_data(&dir, &portal, &token, &[]).fails(1, "discovery_issuer_mismatch");
    assert_eq!(portal.requests().len(), 2, "nothing after discovery");

    // A plain-http non-loopback issuer is refused before any request: a usage error.
    run(
        &dir,
        &["discovery", "--issuer", "http://portal.example.com.br"],
    )
    .fails(2, "data_url_not_https");
}

#[test]
fn an_unreachable_portal_is_a_network_error() {
    let dir = TempDir::new("discovery-refused");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let out = run(&dir, &["discovery", "--issuer", &issuer]);
    let line = out.fails(2, "connection_refused");
    assert!(
        line.contains(&format!("{issuer}/.well-known/cv-plugin")),
        "{line}"
    );
    // A valid token of a portal that is down.
    let token = HttpPortal::start(Discovery::Normal).mint(KNOWN_SUBJECT);
    let out = run(
        &dir,
        &[
            "client-data",
            "--issuer",
            &issuer,
            "--plugin",
            "financeiro",
            "--token",
            &token,
        ],
    );
    out.fails(2, "connection_refused");
}

#[test]
fn https_with_a_private_ca() {
    let dir = TempDir::new("https");
    let Some((ca, tls)) = http_portal::openssl_ca_and_server_cert(&dir.0) else {
        eprintln!("skipped: no openssl command to make a test CA");
        return;
    };
    let portal = HttpPortal::start_with(Discovery::Normal, Some(tls));
    assert!(portal.issuer().starts_with("https://127.0.0.1:"));
    let ca = ca.to_str().unwrap();
    // The CA is not among the system's roots.
    let out = run(&dir, &["discovery", "--issuer", portal.issuer()]);
    out.fails(2, "tls_failure");
    assert!(
        out.stderr.contains("hint: if the portal's certificate"),
        "{}",
        out.stderr
    );
    // With it, discovery and a redemption work end to end.
    let out = run(
        &dir,
        &["discovery", "--issuer", portal.issuer(), "--ca-cert", ca],
    );
    assert_eq!(out.json()["issuer"], portal.issuer());
    let token = portal.mint(KNOWN_SUBJECT);
    let out = client_data(&dir, &portal, &token, &["--ca-cert", ca]);
    assert_eq!(out.json()["name"], http_portal::NAME);

    // --ca-cert that is not a certificate, or not there.
    dir.write(
        "junk.pem",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    run(
        &dir,
        &[
            "discovery",
            "--issuer",
            portal.issuer(),
            "--ca-cert",
            "junk.pem",
        ],
    )
    .fails(2, "root_certificate_invalid");
    run(
        &dir,
        &[
            "discovery",
            "--issuer",
            portal.issuer(),
            "--ca-cert",
            "missing.pem",
        ],
    )
    .fails(2, "io");
}

// ------------------------------------------------------------------------------------------------
// One signing key per algorithm, the plugin's algorithm chooses (issue 15)

/// The `alg` and `kid` of a token's header, through `cvplugin inspect`.
fn alg_and_kid(dir: &TempDir, token: &str) -> (String, String) {
    let header = &run(dir, &["inspect", token]).json()["header"];
    (
        header["alg"].as_str().unwrap().to_owned(),
        header["kid"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn mint_signs_with_the_key_of_the_chosen_algorithm_and_never_another() {
    let dir = TempDir::new("mint-alg");
    let ed_kid = keygen(&dir, "EdDSA", "ed.jwk");
    let es_kid = keygen(&dir, "ES256", "es.jwk");
    jwks_file(&dir, &["ed.jwk", "es.jwk"], "jwks.json");

    // Without --alg: the first key's algorithm, as when mint took one key.
    let token = mint(&dir, "ed.jwk", &["--key", "es.jwk"]);
    assert_eq!(alg_and_kid(&dir, &token), ("EdDSA".into(), ed_kid.clone()));
    let token = mint(&dir, "es.jwk", &[]);
    assert_eq!(alg_and_kid(&dir, &token), ("ES256".into(), es_kid.clone()));
    // --alg picks the key, whatever the order.
    for (alg, kid) in [("ES256", &es_kid), ("EdDSA", &ed_kid)] {
        let token = mint(&dir, "ed.jwk", &["--key", "es.jwk", "--alg", alg]);
        assert_eq!(alg_and_kid(&dir, &token), (alg.to_owned(), kid.clone()));
        assert_eq!(verify(&dir, &token, &[]).json()["aud"], PLUGIN);
    }

    // No key of --alg's algorithm: exit 2, nothing signed with the other one.
    let out = run(
        &dir,
        &[
            "mint",
            "--key",
            "ed.jwk",
            "--alg",
            "ES256",
            "--issuer",
            ISS,
            "--plugin",
            PLUGIN,
            "--subject",
            "48213",
            "--role",
            "cliente",
        ],
    );
    let line = out.fails(2, "no_signing_key");
    assert!(line.contains("no ES256 signing key"), "{line}");
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr
            .contains("hint: give the portal's ES256 key with another --key"),
        "{}",
        out.stderr
    );
    // Two keys of one algorithm: which one would sign is a guess.
    keygen(&dir, "ES256", "es2.jwk");
    let line = run(
        &dir,
        &[
            "mint",
            "--key",
            "es.jwk",
            "--key",
            "es2.jwk",
            "--issuer",
            ISS,
            "--plugin",
            PLUGIN,
            "--subject",
            "48213",
            "--role",
            "cliente",
        ],
    )
    .fails(2, "usage")
    .to_owned();
    assert!(line.contains("both ES256 keys"), "{line}");
    // An unknown --alg is a usage error, before any file is read.
    run(
        &dir,
        &[
            "mint",
            "--key",
            "missing.jwk",
            "--alg",
            "HS256",
            "--issuer",
            ISS,
            "--plugin",
            PLUGIN,
            "--subject",
            "48213",
            "--role",
            "cliente",
        ],
    )
    .fails(2, "usage");
}

#[test]
fn launch_url_signs_each_plugin_with_its_configured_algorithm() {
    let dir = TempDir::new("launch-alg");
    let ed_kid = keygen(&dir, "EdDSA", "ed.jwk");
    let es_kid = keygen(&dir, "ES256", "es.jwk");
    jwks_file(&dir, &["ed.jwk", "es.jwk"], "jwks.json");
    dir.write("financeiro.json", VALID_CONFIG);
    dir.write("dotnet.json", es256_config(VALID_CONFIG));
    let prefix = "https://erp.example.com/portal/financeiro?empresa=7&token=";
    for (config, alg, kid) in [
        ("financeiro.json", "EdDSA", &ed_kid),
        ("dotnet.json", "ES256", &es_kid),
    ] {
        let mut args = launch_args(config, "cliente", &["--key", "es.jwk"]);
        args[4] = "ed.jwk";
        let out = run(&dir, &args);
        let token = out.ok().trim().strip_prefix(prefix).unwrap().to_owned();
        assert_eq!(alg_and_kid(&dir, &token), (alg.to_owned(), kid.clone()));
        assert_eq!(verify(&dir, &token, &[]).json()["role"], "cliente");
    }
    // The ES256 plugin with the EdDSA key only: refused, exit 2.
    let mut args = launch_args("dotnet.json", "cliente", &[]);
    args[4] = "ed.jwk";
    let line = run(&dir, &args).fails(2, "no_signing_key").to_owned();
    assert!(
        line.contains("plugin financeiro is configured for ES256"),
        "{line}"
    );
}

#[test]
fn config_check_shows_the_algorithm_and_cross_checks_the_keys() {
    let dir = TempDir::new("check-alg");
    keygen(&dir, "EdDSA", "ed.jwk");
    keygen(&dir, "ES256", "es.jwk");
    dir.write("financeiro.json", VALID_CONFIG);
    dir.write("dotnet.json", es256_config(VALID_CONFIG));
    dir.write(
        "rsa.json",
        VALID_CONFIG.replacen("\"auth\":", "\"algorithm\": \"RS256\", \"auth\":", 1),
    );

    let out = run(&dir, &["config", "check", "financeiro.json", "dotnet.json"]);
    assert_eq!(
        out.ok(),
        "financeiro.json: ok (algorithm EdDSA)\ndotnet.json: ok (algorithm ES256)\n"
    );
    // Both keys: both plugins can be minted for.
    let out = run(
        &dir,
        &[
            "config",
            "check",
            "--key",
            "ed.jwk",
            "--key",
            "es.jwk",
            "financeiro.json",
            "dotnet.json",
        ],
    );
    assert_eq!(
        out.ok(),
        "financeiro.json: ok (algorithm EdDSA)\ndotnet.json: ok (algorithm ES256)\n"
    );
    // The EdDSA key only: the ES256 plugin is reported, in English and in Portuguese.
    let out = run(
        &dir,
        &[
            "config",
            "check",
            "--key",
            "ed.jwk",
            "financeiro.json",
            "dotnet.json",
        ],
    );
    let line = out.fails(1, "no_signing_key");
    assert_eq!(
        line,
        "error[no_signing_key]: dotnet.json: plugin financeiro is configured for ES256 launch \
         tokens, but the portal has no ES256 signing key; add one or change the plugin's algorithm"
    );
    assert_eq!(out.stdout, "financeiro.json: ok (algorithm EdDSA)\n");
    assert!(
        out.stderr.lines().any(|l| l
            == "dotnet.json: no_signing_key at algorithm: plugin financeiro is configured for \
                ES256 launch tokens, but the portal has no ES256 signing key; add one or change \
                the plugin's algorithm"),
        "{}",
        out.stderr
    );
    let out = run(
        &dir,
        &[
            "config",
            "check",
            "--lang",
            "pt-BR",
            "--key",
            "ed.jwk",
            "dotnet.json",
        ],
    );
    out.fails(1, "no_signing_key");
    assert!(
        out.stderr.lines().any(|l| l
            == "dotnet.json: no_signing_key at algorithm: o plugin financeiro está configurado \
                para tokens de acesso ES256, mas o portal não tem chave de assinatura ES256; \
                cadastre uma ou altere o Algoritmo de assinatura do plugin"),
        "{}",
        out.stderr
    );

    // An unknown algorithm is a configuration problem, in both languages.
    let out = run(&dir, &["config", "check", "rsa.json"]);
    out.fails(1, "algorithm_unknown");
    assert!(
        out.stderr
            .contains("rsa.json: algorithm_unknown at algorithm: algorithm: unknown signing algorithm \"RS256\""),
        "{}",
        out.stderr
    );
    let out = run(&dir, &["config", "check", "--lang", "pt-BR", "rsa.json"]);
    assert!(
        out.stderr.contains(
            "rsa.json: algorithm_unknown at algorithm: Algoritmo de assinatura: algoritmo de \
             assinatura \"RS256\" desconhecido"
        ),
        "{}",
        out.stderr
    );
    // A --key that is not a private key stops the check before any file is read.
    jwks_file(&dir, &["ed.jwk"], "jwks.json");
    let out = run(
        &dir,
        &["config", "check", "--key", "jwks.json", "financeiro.json"],
    );
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(out.stdout.is_empty());
}
