//! `keygen` and `jwks`: the portal's keys.

use std::collections::HashMap;

use cv_portal_plugin::{KeySet, PublicKey, SigningKey};
use serde_json::Value;

use crate::cli::{JwksArgs, KeygenArgs};
use crate::commands::print_json;
use crate::error::{CliError, Status, excerpt, show_path};
use crate::io::{write_secret_file, write_stdout};
use crate::keyfile::load_public_keys;

/// `cvplugin keygen`: generates a key and writes its private JWK to `--out` (printing the `kid`)
/// or to stdout.
pub fn keygen(args: KeygenArgs) -> Result<(), CliError> {
    let key = SigningKey::generate(args.alg.into())
        .map_err(|e| CliError::new(Status::Failed, e.code(), e.to_string()))?;
    let mut jwk = key.to_jwk();
    jwk.push('\n');
    match args.out {
        None => write_stdout(&jwk),
        Some(path) => {
            write_secret_file(&path, jwk.as_bytes(), args.force)?;
            write_stdout(&format!("{}\n", key.kid()))
        }
    }
}

/// `cvplugin jwks`: prints the public keys of every key file as one JWKS.
pub fn jwks(args: JwksArgs) -> Result<(), CliError> {
    let mut keys: Vec<PublicKey> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, path) in args.keys.iter().enumerate() {
        for key in load_public_keys(path)? {
            if let Some(&first) = seen.get(key.kid()) {
                return Err(CliError::new(
                    Status::Failed,
                    "duplicate_kid",
                    format!(
                        "{}: duplicate key id \"{}\" (already in {})",
                        show_path(path),
                        excerpt(key.kid()),
                        show_path(&args.keys[first])
                    ),
                ));
            }
            seen.insert(key.kid().to_owned(), index);
            keys.push(key);
        }
    }
    let set =
        KeySet::new(keys).map_err(|e| CliError::new(Status::Failed, e.code(), e.to_string()))?;
    let document = set.to_jwks_json();
    match serde_json::from_str::<Value>(&document) {
        Ok(value) => print_json(&value),
        // The library's own output is JSON; should that ever change, print it as it is.
        Err(_) => write_stdout(&format!("{document}\n")),
    }
}
