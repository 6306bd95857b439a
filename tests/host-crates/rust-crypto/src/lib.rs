//! Nothing here: this crate exists for its tests (`tests/`), which play a host application whose
//! build enables jsonwebtoken's `rust_crypto` backend beside cv-portal-plugin.
