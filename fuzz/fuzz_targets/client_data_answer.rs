#![no_main]
//! Fuzz target `client_data_answer`; the property is
//! [`cv_portal_plugin_fuzz::client_data_answer::check`] (fuzz/props/client_data_answer.rs).

libfuzzer_sys::fuzz_target!(|data: &[u8]| cv_portal_plugin_fuzz::client_data_answer::check(data));
