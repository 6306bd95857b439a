//! One module per subcommand family, and the argument checks they share.

pub mod config;
pub mod keys;
pub mod portal;
pub mod token;
pub mod vendor_check;

use std::time::Duration;

use std::path::PathBuf;
use std::sync::Arc;

use cv_portal_plugin::verify::DEFAULT_LEEWAY;
use cv_portal_plugin::{
    Algorithm, Issuer, IssuerId, KeySet, PluginId, SigningKey, SubjectId, Verifier,
};
use serde::Serialize;

use crate::error::{CliError, bad_value, show_path};
use crate::io::write_stdout;
use crate::keyfile::load_signing_key;

/// The portal's signing keys of `--key`, at most one per algorithm (`error[usage]` for two keys
/// of one algorithm: which one signs would be a guess), in the order given.
pub fn signing_keys_arg(paths: &[PathBuf]) -> Result<Vec<(Algorithm, SigningKey)>, CliError> {
    let mut keys: Vec<(Algorithm, SigningKey, &PathBuf)> = Vec::with_capacity(paths.len());
    for path in paths {
        let key = load_signing_key(path)?;
        let alg = key.algorithm();
        if let Some((_, _, first)) = keys.iter().find(|(held, _, _)| *held == alg) {
            return Err(CliError::usage(format!(
                "--key: {} and {} are both {alg} keys; give one key per algorithm",
                show_path(first),
                show_path(path)
            )));
        }
        keys.push((alg, key, path));
    }
    Ok(keys.into_iter().map(|(alg, key, _)| (alg, key)).collect())
}

/// An issuer signing with every key of `keys` (one per algorithm; at least one).
pub fn issuer_with(
    issuer: IssuerId,
    keys: Vec<(Algorithm, SigningKey)>,
) -> Result<Issuer, CliError> {
    let mut keys = keys.into_iter().map(|(_, key)| Arc::new(key));
    let first = keys
        .next()
        .ok_or_else(|| CliError::usage("--key: at least one signing key is needed"))?;
    let builder = keys.fold(Issuer::builder(issuer, first), |builder, key| {
        builder.signing_key(key)
    });
    builder
        .build()
        .map_err(|e| CliError::new(crate::error::Status::Failed, e.code(), e.to_string()))
}

/// `--issuer`: 1 to 256 bytes of printable ASCII without spaces (`error[usage]` otherwise).
pub fn issuer_arg(value: &str) -> Result<IssuerId, CliError> {
    IssuerId::new(value).map_err(|e| bad_value("--issuer", e))
}

/// `--subject`: the person's opaque id (`error[usage]` otherwise).
pub fn subject_arg(value: &str) -> Result<SubjectId, CliError> {
    SubjectId::new(value).map_err(|e| bad_value("--subject", e))
}

/// `--plugin`: a plugin id (`error[usage]` otherwise, like `--issuer` and `--subject`).
pub fn plugin_arg(value: &str) -> Result<PluginId, CliError> {
    PluginId::new(value).map_err(|e| bad_value("--plugin", e))
}

/// The verifier of `verify` and `client-data`: `issuer`, `plugin`, `keys`, and `--leeway`
/// seconds when given (above the default 30 only through the library's visibly dangerous door,
/// up to its limit of 300; `error[leeway_too_large]` beyond).
pub fn verifier_arg(
    issuer: IssuerId,
    plugin: PluginId,
    keys: KeySet,
    leeway: Option<u64>,
) -> Result<Verifier, CliError> {
    let mut builder = Verifier::builder(issuer, plugin)
        .key_set(keys)
        // One process verifies one token: single use in memory still refuses a token given twice.
        .replay_guard(std::sync::Arc::new(
            cv_portal_plugin::InMemoryReplayGuard::new(),
        ));
    if let Some(seconds) = leeway {
        let leeway = Duration::from_secs(seconds);
        builder = if leeway <= DEFAULT_LEEWAY {
            builder.leeway(leeway)
        } else {
            builder.dangerous_extended_leeway(leeway)
        };
    }
    builder.build().map_err(|e| CliError::verifier_config(&e))
}

/// Prints `value` as indented JSON and a newline on stdout.
pub fn print_json(value: &impl Serialize) -> Result<(), CliError> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::io(format!("cannot serialize the output: {e}")))?;
    text.push('\n');
    write_stdout(&text)
}
