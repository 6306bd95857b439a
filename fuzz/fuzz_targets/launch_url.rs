#![no_main]
//! Fuzz target `launch_url`; the property is [`cv_portal_plugin_fuzz::launch_url::check`] (fuzz/props/launch_url.rs).

libfuzzer_sys::fuzz_target!(|data: &[u8]| cv_portal_plugin_fuzz::launch_url::check(data));
