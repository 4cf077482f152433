//! The self-registration wizard's rules (DOMAIN "Self-registration"): where a registry's
//! hand-off leads, the wizard's configuration, its steps and their order, what the member has
//! entered so far, the checks of each step (typed problems for the pages to put into words),
//! and where an unfinished registration is kept.
//!
//! Nothing here knows HTTP: the pages in `account-web` parse the form, hold the state's cookie
//! and show the problems in English or French.

mod arrival;
mod checks;
mod config;
mod drafts;
mod state;
mod steps;

pub use arrival::{Arrival, ArrivalError};
pub use checks::{
    check, locked_fields_in, name_ok, DesignationLookup, Field, FieldProblem, Problem,
};
pub use config::{GeneralLink, SignupConfig};
pub use drafts::{Drafts, Finishing};
pub use state::{Done, Nav, Wizard, MAX_EXTRA};
pub use steps::{find_step, steps, Step};
