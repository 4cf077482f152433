//! The self-registration wizard's rules (DOMAIN "Self-registration"): its configuration, its
//! steps and their order, what the member has entered so far, and the checks of each step,
//! which return typed problems for the pages to put into words.
//!
//! Nothing here knows HTTP: the pages in `account-web` parse the form, keep the state sealed
//! in the ephemeral store, and show the problems in English or French.

mod checks;
mod config;
mod drafts;
mod state;
mod steps;

pub use checks::{
    check, locked_fields_in, name_ok, DesignationLookup, Field, FieldProblem, Problem,
};
pub use config::SignupConfig;
pub use drafts::Drafts;
pub use state::{Done, Nav, Wizard, MAX_EXTRA};
pub use steps::{find_step, steps, Step};
