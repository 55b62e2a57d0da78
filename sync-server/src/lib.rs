//! The Fieldkit sync server as a library, so tests can run it in-process.
