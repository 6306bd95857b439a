#![no_main]
//! Fuzz target `data_endpoint`; the property is
//! [`cv_portal_plugin_fuzz::data_endpoint::check`] (fuzz/props/data_endpoint.rs).

libfuzzer_sys::fuzz_target!(|data: &[u8]| cv_portal_plugin_fuzz::data_endpoint::check(data));
