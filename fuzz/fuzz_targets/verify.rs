#![no_main]
//! Fuzz target `verify`; the property is [`cv_portal_plugin_fuzz::verify::check`] (fuzz/props/verify.rs).

libfuzzer_sys::fuzz_target!(|data: &[u8]| cv_portal_plugin_fuzz::verify::check(data));
