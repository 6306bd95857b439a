#![no_main]
//! Fuzz target `verify_claims`; the property is [`cv_portal_plugin_fuzz::verify_claims::check`] (fuzz/props/verify_claims.rs).

libfuzzer_sys::fuzz_target!(|data: &[u8]| cv_portal_plugin_fuzz::verify_claims::check(data));
