//! Offline mode end to end.
