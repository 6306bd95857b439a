//! Iframe rendering (in progress).
