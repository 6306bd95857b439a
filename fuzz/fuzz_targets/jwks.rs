#![no_main]
//! Fuzz target `jwks`; the property is [`cv_portal_plugin_fuzz::jwks::check`] (fuzz/props/jwks.rs).

libfuzzer_sys::fuzz_target!(|data: &[u8]| cv_portal_plugin_fuzz::jwks::check(data));
