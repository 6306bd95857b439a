#![no_main]
//! Fuzz target `config`; the property is [`cv_portal_plugin_fuzz::config::check`] (fuzz/props/config.rs).

libfuzzer_sys::fuzz_target!(|data: &[u8]| cv_portal_plugin_fuzz::config::check(data));
