//! The ethics linter.
