#![no_main]
//! Fuzz target `signing_key`; the property is [`cv_portal_plugin_fuzz::signing_key::check`] (fuzz/props/signing_key.rs).

libfuzzer_sys::fuzz_target!(|data: &[u8]| cv_portal_plugin_fuzz::signing_key::check(data));
