//! Token endpoint grants, introspection and revocation.
