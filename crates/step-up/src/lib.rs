//! Step-up: whether a sign-in needs more than a password, and the challenges that prove it is
//! really the clinician: a code by text message or voice call, online challenge questions, or
//! TOTP. Devices that passed a challenge are remembered; codes go out through a gateway (an
//! outbox file in the embedded default, a Twilio-compatible REST API in production).

pub mod acr;
pub mod codes;
pub mod config;
pub mod devices;
pub mod gateway;
pub mod passkeys;
pub mod totp;

pub use config::{Policy, StaffAuthenticatorConfig, StepUpConfig};
pub use devices::{browser_summary, coarse_network, Device, Devices};
pub use gateway::{Channel, CodeGateway, Delivery, GatewayConfig, GatewayError};
