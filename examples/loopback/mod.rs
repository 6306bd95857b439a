//! A loopback portal for the client-data conformance run: [`http`] is a tiny std-only HTTP/1.1
//! server, [`portal`] the fixture portal of `vectors/client-data.json` behind it.
//!
//! Used by `examples/portal_loopback.rs`; a test can include it too, with
//! `#[path = "../examples/loopback/mod.rs"] mod loopback;`.
#![allow(dead_code)]

pub mod http;
pub mod portal;
