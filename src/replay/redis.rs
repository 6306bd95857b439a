//! A Redis-backed replay guard (in progress).
