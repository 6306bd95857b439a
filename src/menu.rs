//! Menu resolution (in progress).
