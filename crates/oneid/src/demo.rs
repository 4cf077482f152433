//! Demo data for `oneid demo`: three clinical viewers as relying parties and one clinician.
//! Seeded once; running the demo again keeps what is there.

use authorization_server::{NewClient, Provider};
use credential_store::NewAccount;

/// The demo clinician's login ID.
pub const DEMO_LOGIN_ID: &str = "Alex.Tremblay@ONEID.ON.CA";
/// The demo clinician's password (demo data only).
pub const DEMO_PASSWORD: &str = "Demo-Clinician-2026";

/// (client id, name, port, secret, colour theme) of each demo viewer.
pub const VIEWERS: &[(&str, &str, u16, &str, &str)] = &[
    (
        "connectingontario",
        "ConnectingOntario ClinicalViewer",
        8081,
        "connectingontario-demo-secret",
        "co",
    ),
    (
        "clinicalconnect",
        "ClinicalConnect",
        8082,
        "clinicalconnect-demo-secret",
        "cc",
    ),
    ("otnhub", "OTN Hub", 8083, "otnhub-demo-secret", "otn"),
];

/// Seeds the demo viewers and clinician if they are missing.
pub async fn seed(p: &Provider) -> Result<(), String> {
    for (id, name, port, secret, _) in VIEWERS {
        if p.clients
            .get(id)
            .await
            .map_err(|e| e.to_string())?
            .is_some()
        {
            continue;
        }
        p.clients
            .add(NewClient {
                client_id: (*id).to_owned(),
                name: (*name).to_owned(),
                redirect_uris: vec![format!("http://127.0.0.1:{port}/callback")],
                post_logout_redirect_uris: vec![format!("http://127.0.0.1:{port}/")],
                secret: Some((*secret).to_owned()),
                ..NewClient::default()
            })
            .await
            .map_err(|e| e.to_string())?;
    }
    if p.accounts
        .find_by_login_id(DEMO_LOGIN_ID)
        .await
        .map_err(|e| e.to_string())?
        .is_none()
    {
        p.accounts
            .create(NewAccount {
                login_id: DEMO_LOGIN_ID.to_owned(),
                given_name: "Alex".to_owned(),
                family_name: "Tremblay".to_owned(),
                email: Some("alex.tremblay@example.org".to_owned()),
                phone: Some("+14165550123".to_owned()),
                locale: "en".to_owned(),
                password: DEMO_PASSWORD.to_owned(),
            })
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}
