//! Helpers shared by the end-to-end journeys in `tests/tests/`.
