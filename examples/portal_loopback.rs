//! The fixture portal of `vectors/client-data.json` on a loopback port, for vendors' conformance
//! scripts (conformance/client_data.py, conformance/client_data.mjs) to exercise over HTTP.
//!
//! ```sh
//! cargo run --example portal_loopback -- [--vectors vectors/client-data.json]
//!     [--addr 127.0.0.1:0] [--port-file FILE] [--stop-on-eof]
//! ```
//!
//! It prints the base URL it serves (`http://127.0.0.1:PORT`) and, with `--port-file`, writes it
//! to FILE (atomically: a reader never sees half of it). It serves `GET /.well-known/cv-plugin`
//! (discovery), the JWKS and the client-data endpoint at the paths of the fixture's discovery
//! document, answering as the portal `https://portal.test` at the fixture's pinned `now`, with
//! one redemption record for its whole life: start a fresh server for each run of the cases.
//!
//! The documents are served as they are, so they name `https://portal.test`: a client reaches
//! their URLs by replacing that origin with the printed one. It stops when killed or, with
//! `--stop-on-eof`, when its standard input ends. TEST keys only: never expose it beyond
//! loopback.

mod loopback;

use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;

use loopback::portal::FixturePortal;

struct Options {
    vectors: String,
    addr: String,
    port_file: Option<String>,
    stop_on_eof: bool,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        vectors: concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/client-data.json").to_owned(),
        addr: "127.0.0.1:0".to_owned(),
        port_file: None,
        stop_on_eof: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--vectors" => options.vectors = value()?,
            "--addr" => options.addr = value()?,
            "--port-file" => options.port_file = Some(value()?),
            "--stop-on-eof" => options.stop_on_eof = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(options)
}

fn run() -> Result<(), String> {
    let options = options()?;
    let text = std::fs::read_to_string(&options.vectors)
        .map_err(|e| format!("{}: {e}", options.vectors))?;
    let vectors = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", options.vectors))?;
    let portal = FixturePortal::from_vectors(&vectors)?;

    let addr: SocketAddr = options
        .addr
        .parse()
        .map_err(|_| format!("--addr {:?} is not IP:PORT", options.addr))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "{addr} is not a loopback address: this portal has TEST keys"
        ));
    }
    let listener = TcpListener::bind(addr).map_err(|e| format!("bind {addr}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let url = format!("http://{addr}");
    if let Some(file) = &options.port_file {
        let partial = format!("{file}.partial");
        std::fs::write(&partial, format!("{url}\n"))
            .and_then(|()| std::fs::rename(&partial, file))
            .map_err(|e| format!("{file}: {e}"))?;
    }
    println!("{url}");
    eprintln!(
        "portal_loopback: {} (discovery {url}/.well-known/cv-plugin, client data {url}{})",
        portal.issuer().as_str(),
        portal.client_data_path()
    );

    if options.stop_on_eof {
        std::thread::spawn(|| {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            std::process::exit(0);
        });
    }
    loopback::http::serve(&listener, &|request| portal.respond(request));
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("portal_loopback: {message}");
            ExitCode::FAILURE
        }
    }
}
