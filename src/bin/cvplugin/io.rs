//! Bounded input (files, stdin, token arguments) and careful output (stdout, stderr, key files).
//!
//! Every read stops after [`MAX_INPUT_BYTES`] so no input can exhaust memory, and writing to a
//! closed stdout is an error, not a panic.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal as _, Read, Write};
use std::path::{Path, PathBuf};

use cv_portal_plugin::VerifyError;

use crate::error::{CliError, Status, show_path};
use crate::token_input::{Source, TokenInput};

/// The largest file or stdin the tool reads: 1 MiB. Key files, JWKS documents, configurations
/// and tokens are all far smaller.
pub const MAX_INPUT_BYTES: usize = 1 << 20;

/// Reads at most [`MAX_INPUT_BYTES`] from `reader`; `Ok(None)` when there is more.
fn read_bounded(reader: impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    // The limit is a small constant, so widening it to u64 cannot truncate.
    reader
        .take(MAX_INPUT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() <= MAX_INPUT_BYTES).then_some(bytes))
}

/// Reads a whole file of at most 1 MiB; the error is a reason without the file name.
pub fn read_file_reason(path: &Path) -> Result<Vec<u8>, String> {
    let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    match read_bounded(file) {
        Ok(Some(bytes)) => Ok(bytes),
        Ok(None) => Err(format!(
            "the file is larger than the {} MiB limit",
            MAX_INPUT_BYTES >> 20
        )),
        Err(e) => Err(format!("cannot read: {e}")),
    }
}

/// Reads a whole UTF-8 text file of at most 1 MiB; the error is a reason without the file name.
pub fn read_text_file_reason(path: &Path) -> Result<String, String> {
    let bytes = read_file_reason(path)?;
    String::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_owned())
}

/// Reads a whole file of at most 1 MiB, or fails with `error[io]`.
pub fn read_file(path: &Path) -> Result<Vec<u8>, CliError> {
    read_file_reason(path).map_err(|reason| CliError::io(format!("{}: {reason}", show_path(path))))
}

/// Reads the token to verify or inspect: the argument unless it is absent or `-`, else stdin.
/// Surrounding whitespace is removed (see [`TokenInput`]). Non-UTF-8 input is a malformed token
/// (exit 1); stdin beyond 1 MiB is a token too large (exit 1); an interactive stdin with no
/// argument is a usage error, so the tool never waits silently for typing.
pub fn read_token(arg: Option<OsString>) -> Result<TokenInput, CliError> {
    let (bytes, source) = match arg {
        Some(arg) if arg != "-" => (arg.into_encoded_bytes(), Source::Argument),
        _ => {
            let stdin = io::stdin();
            if stdin.is_terminal() {
                return Err(CliError::usage(
                    "no TOKEN given and stdin is a terminal: pass the token as an argument or \
                     pipe it in",
                ));
            }
            match read_bounded(stdin.lock()) {
                Ok(Some(bytes)) => (bytes, Source::Stdin),
                Ok(None) => {
                    let too_large = VerifyError::TooLarge {
                        len: MAX_INPUT_BYTES + 1,
                        max: MAX_INPUT_BYTES,
                    };
                    return Err(CliError::new(
                        Status::Rejected,
                        too_large.code(),
                        format!(
                            "the input on stdin is more than {MAX_INPUT_BYTES} bytes long; a \
                             token is at most a few kilobytes"
                        ),
                    ));
                }
                Err(e) => return Err(CliError::io(format!("cannot read stdin: {e}"))),
            }
        }
    };
    let text = String::from_utf8(bytes).map_err(|_| {
        CliError::verify(&VerifyError::Malformed {
            reason: "the token is not UTF-8 text",
        })
    })?;
    Ok(TokenInput::new(&text, source))
}

/// Writes `text` to stdout and flushes; a closed or failing stdout is `error[io]`.
pub fn write_stdout(text: &str) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CliError::io(format!("cannot write to stdout: {e}")))
}

/// Writes `lines` to stderr, ignoring failures (there is nowhere left to report them).
pub fn write_stderr_lines(lines: &[String]) {
    let mut err = io::stderr().lock();
    for line in lines {
        if writeln!(err, "{line}").is_err() {
            return;
        }
    }
    let _ = err.flush();
}

/// Creates `path` readable and writable by its owner only (0600 on Unix), failing if it exists.
fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}

/// Writes `contents` to a new file, removing it again if writing fails.
fn write_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = create_private(path)?;
    let written = file.write_all(contents).and_then(|()| file.sync_all());
    if written.is_err() {
        let _ = fs::remove_file(path);
    }
    written
}

/// Writes secret `contents` (a private key) to `path` with mode 0600.
///
/// Without `force` the file must not exist (a symlink counts as existing and is not followed).
/// With `force` the contents go to a new 0600 file beside `path`, which then replaces `path`
/// atomically: an existing file's looser mode is never inherited, and a crash never leaves a
/// half-written key.
pub fn write_secret_file(path: &Path, contents: &[u8], force: bool) -> Result<(), CliError> {
    let shown = show_path(path);
    if !force {
        return write_new(path, contents).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                CliError::io(format!(
                    "{shown} already exists; pass --force to replace it"
                ))
            } else {
                CliError::io(format!("{shown}: cannot write: {e}"))
            }
        });
    }
    let temp = temp_beside(path)
        .ok_or_else(|| CliError::usage(format!("--out {shown}: not a file name")))?;
    write_new(&temp, contents).map_err(|e| CliError::io(format!("{shown}: cannot write: {e}")))?;
    fs::rename(&temp, path).map_err(|e| {
        let _ = fs::remove_file(&temp);
        CliError::io(format!("{shown}: cannot replace: {e}"))
    })
}

/// A temporary file name in the same directory as `path`, or `None` if `path` names no file.
fn temp_beside(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    let mut temp_name = OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".cvplugin-{}.tmp", std::process::id()));
    Some(path.with_file_name(temp_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_reads_stop_at_the_limit() {
        let exact = vec![b'a'; MAX_INPUT_BYTES];
        assert_eq!(
            read_bounded(&exact[..]).unwrap().unwrap().len(),
            MAX_INPUT_BYTES
        );
        let over = vec![b'a'; MAX_INPUT_BYTES + 1];
        assert!(read_bounded(&over[..]).unwrap().is_none());
        assert_eq!(read_bounded(&b""[..]).unwrap().unwrap(), b"");
    }

    #[test]
    fn temp_file_is_beside_the_target() {
        let temp = temp_beside(Path::new("dir/key.jwk")).unwrap();
        assert_eq!(temp.parent(), Some(Path::new("dir")));
        assert!(
            temp.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".key.jwk.cvplugin-")
        );
        assert!(temp_beside(Path::new("/")).is_none());
        assert!(temp_beside(Path::new("..")).is_none());
    }
}
