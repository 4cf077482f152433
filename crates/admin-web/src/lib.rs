//! The administrators' surface, over the protocol core and the rule crates: the admin console
//! (`admin_console`), the admin JSON API (`admin_api`, described by its OpenAPI document), the
//! registries API and the registries' termination reports (`registries_api`), the SAML
//! service providers' API (`saml_api`), the signing keys' console and API (`admin`), and the
//! operator listener's metrics (`operator`).

pub mod admin;
pub mod admin_api;
pub mod admin_console;
mod admin_text;
pub mod operator;
pub mod registries_api;
pub mod saml_api;

use authorization_server::Provider;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

/// The routes of the administrators' surface.
pub fn routes() -> Router<Arc<Provider>> {
    Router::new()
        .route("/admin/keys", get(admin::console).post(admin::console_post))
        .route("/admin/api/keys", get(admin::api_list))
        .route("/admin/api/keys/rotate", post(admin::api_rotate))
        .route("/admin/api/keys/{kid}/{op}", post(admin::api_key_op))
        .route(
            "/admin/api/registries",
            get(registries_api::api_list).post(registries_api::api_add),
        )
        .route(
            "/admin/api/registries/{id}",
            get(registries_api::api_get).patch(registries_api::api_update),
        )
        .route(
            "/admin/api/registries/{id}/{op}",
            post(registries_api::api_op),
        )
        .route("/registries/terminations", post(registries_api::report))
        .route(
            "/admin/api/saml/sps",
            get(saml_api::list).post(saml_api::add),
        )
        .route(
            "/admin/api/saml/sps/{entity_id}",
            get(saml_api::get_one)
                .put(saml_api::update)
                .delete(saml_api::remove),
        )
        .merge(admin_api::router())
        .merge(admin_console::router())
}
