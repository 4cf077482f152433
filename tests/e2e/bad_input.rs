//! Malformed and hostile input: the right RFC error, never a 500, nothing stored.
