//! The expression language for skip logic and constraints.
