//! Plugin configuration (in progress).
