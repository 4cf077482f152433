//! Demo data for `oneid demo`: three clinical viewers as relying parties (and as services),
//! one clinician, one staff account, and a trusted registry (the CPSO) whose member portal
//! hands members over for self-registration. Seeded once; running the demo again keeps what
//! is there.

use crate::demo_registry::{self, DemoRegistry};
use authorization_server::{NewClient, Provider};
use credential_store::NewAccount;
use registration::{Actor, KeyInput, RegistryInput};
use std::path::Path;

/// The demo clinician's login ID.
pub const DEMO_LOGIN_ID: &str = "Alex.Tremblay@ONEID.ON.CA";
/// The demo clinician's password (demo data only).
pub const DEMO_PASSWORD: &str = "Demo-Clinician-2026";
/// The demo staff account (administrator and service desk).
pub const DEMO_STAFF_LOGIN_ID: &str = "Morgan.Lee@ONEID.ON.CA";
/// Its password (demo data only).
pub const DEMO_STAFF_PASSWORD: &str = "Demo-Staff-2026";
/// The demo registering organization (managed registration process, 004 §6): id and name.
pub const DEMO_REGISTERING_ORG: (&str, &str) = ("uhn", "University Health Network (demo)");
/// Its LRA's login ID.
pub const DEMO_UHN_LRA_LOGIN_ID: &str = "Jordan.Patel@ONEID.ON.CA";
/// Its password (demo data only).
pub const DEMO_UHN_LRA_PASSWORD: &str = "Demo-Registrar-2026";
/// The demo clinician's online challenge answers, in catalogue order of `DEMO_QUESTIONS`.
pub const DEMO_ANSWERS: [&str; 5] = ["Biscuit", "Kingston", "Maple Street", "Rivera", "Lakefield"];

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

/// Port of the demo registry's member portal (the next one after the viewers').
pub const PORTAL_PORT: u16 = 8084;

/// Lowest level of assurance each demo viewer's service admits, by client id.
fn min_level(client_id: &str) -> i64 {
    match client_id {
        // Province-wide clinical records: a person validated face to face (or equivalent).
        "connectingontario" | "clinicalconnect" => 2,
        _ => 1,
    }
}

/// One service per demo viewer, named after it, if missing.
async fn seed_services(p: &Provider) -> Result<(), String> {
    let dir = &p.registration.directory;
    let err = |e: registration::RegistrationError| e.to_string();
    let services = dir.services().await.map_err(err)?;
    for (id, name, port, _, _) in VIEWERS {
        if services.iter().any(|s| s.id == *id) {
            continue;
        }
        dir.put_service(&registration::Service {
            id: (*id).to_owned(),
            name: (*name).to_owned(),
            url: Some(format!("http://127.0.0.1:{port}/")),
            min_assurance_level: min_level(id),
        })
        .await
        .map_err(err)?;
    }
    Ok(())
}

/// Seeds the demo viewers (each in its service) and clinician if they are missing.
pub async fn seed(p: &Provider) -> Result<(), String> {
    seed_services(p).await?;
    for (id, name, port, secret, _) in VIEWERS {
        // Each viewer ends its own session when ONE ID posts it a logout token, so logging
        // out at one logs out of all.
        let backchannel = format!("http://127.0.0.1:{port}/backchannel-logout");
        if let Some(c) = p.clients.get(id).await.map_err(|e| e.to_string())? {
            // Seeded by an older version: add the back-channel logout URI, keep the rest.
            if c.backchannel_logout_uri.is_none() {
                p.clients
                    .set_logout_uris(id, Some(&backchannel), c.frontchannel_logout_uri.as_deref())
                    .await
                    .map_err(|e| e.to_string())?;
            }
            continue;
        }
        p.clients
            .add(NewClient {
                client_id: (*id).to_owned(),
                name: (*name).to_owned(),
                redirect_uris: vec![format!("http://127.0.0.1:{port}/callback")],
                post_logout_redirect_uris: vec![format!("http://127.0.0.1:{port}/")],
                secret: Some((*secret).to_owned()),
                backchannel_logout_uri: Some(backchannel),
                service_id: Some((*id).to_owned()),
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
                login_id: Some(DEMO_LOGIN_ID.to_owned()),
                title: Some("Dr.".to_owned()),
                given_name: "Alex".to_owned(),
                family_name: "Tremblay".to_owned(),
                birth_date: Some("1979-06-14".to_owned()),
                email: Some("alex.tremblay@example.org".to_owned()),
                phone: Some("+14165550123".to_owned()),
                locale: "en".to_owned(),
                assurance_level: 2,
                designations: vec![credential_store::Designation {
                    college: "CPSO".to_owned(),
                    registration_number: "98765".to_owned(),
                }],
                password: DEMO_PASSWORD.to_owned(),
                ..NewAccount::default()
            })
            .await
            .map_err(|e| e.to_string())?;
        let a = p
            .accounts
            .find_by_login_id(DEMO_LOGIN_ID)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("demo clinician missing")?;
        let qa = |i: usize| credential_store::QuestionAnswer {
            question_id: credential_store::QUESTIONS[i].id.to_owned(),
            answer: DEMO_ANSWERS[i].to_owned(),
        };
        p.accounts
            .set_challenge_questions(&a.id, &[qa(0), qa(1), qa(2)], &[qa(3), qa(4)])
            .await
            .map_err(|e| e.to_string())?;
        p.accounts
            .set_challenge_phones(
                &a.id,
                &[(
                    "416-555-0123".to_owned(),
                    credential_store::PhoneKind::Mobile,
                )],
                false,
            )
            .await
            .map_err(|e| e.to_string())?;
    }
    if p.accounts
        .find_by_login_id(DEMO_STAFF_LOGIN_ID)
        .await
        .map_err(|e| e.to_string())?
        .is_none()
    {
        let staff = p
            .accounts
            .create(NewAccount {
                login_id: Some(DEMO_STAFF_LOGIN_ID.to_owned()),
                given_name: "Morgan".to_owned(),
                family_name: "Lee".to_owned(),
                email: Some("morgan.lee@example.org".to_owned()),
                locale: "en".to_owned(),
                password: DEMO_STAFF_PASSWORD.to_owned(),
                // The consoles need a recent step-up: codes go to the demo outbox page.
                phones: vec![(
                    "416-555-0188".to_owned(),
                    credential_store::PhoneKind::Mobile,
                )],
                ..NewAccount::default()
            })
            .await
            .map_err(|e| e.to_string())?;
        // The phone above is the second factor a staff role needs; the roles come after it.
        for role in ["administrator", "service_desk"] {
            p.accounts
                .grant_role(&staff.id, role, "demo")
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Seeds the demo registry if missing: the sponsor `cpso`, one service per demo viewer, the
/// registry `cpso` (college CPSO, AL2, general approval, sponsor `cpso`, the viewers' services)
/// and its ES256 key. The private key is kept in `data_dir` and reused on every run; when the
/// registry does not know it (a new data directory over an old database), it is registered as
/// a rotation that retires the others at once.
pub async fn seed_registry(p: &Provider, data_dir: &Path) -> Result<DemoRegistry, String> {
    let dir = &p.registration.directory;
    let err = |e: registration::RegistrationError| e.to_string();
    if !dir
        .organizations()
        .await
        .map_err(err)?
        .iter()
        .any(|o| o.id == demo_registry::SPONSOR_ID)
    {
        dir.put_organization(demo_registry::SPONSOR_ID, demo_registry::SPONSOR_NAME)
            .await
            .map_err(err)?;
    }
    seed_services(p).await?;
    // Each viewer belongs to its service: people get in only when enrolled there.
    for (id, ..) in VIEWERS {
        let c = p.clients.get(id).await.map_err(|e| e.to_string())?;
        if c.is_some_and(|c| c.service_id.is_none()) {
            p.clients
                .set_service(id, Some(id))
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    // The demo clinician is sponsored by the CPSO and enrolled in every viewer.
    if let Some(alex) = p
        .accounts
        .find_by_login_id(DEMO_LOGIN_ID)
        .await
        .map_err(|e| e.to_string())?
    {
        if dir.enrolments(&alex.id).await.map_err(err)?.is_empty() {
            dir.sponsor(&alex.id, demo_registry::SPONSOR_ID, None, "demo")
                .await
                .map_err(err)?;
            for (id, ..) in VIEWERS {
                dir.enrol(&alex.id, id, demo_registry::SPONSOR_ID, "demo")
                    .await
                    .map_err(err)?;
            }
        }
    }
    let demo = Actor {
        name: "demo",
        client: None,
    };
    let registries = &p.registration.registries;
    if registries
        .get(demo_registry::REGISTRY_ID)
        .await
        .map_err(err)?
        .is_none()
    {
        p.registration
            .add_registry(
                RegistryInput {
                    id: demo_registry::REGISTRY_ID.into(),
                    name: "CPSO register of physicians (demo)".into(),
                    owner: demo_registry::SPONSOR_NAME.into(),
                    contact: "registration@cpso.example".into(),
                    college: demo_registry::COLLEGE.into(),
                    id_scheme: Some("CPSO registration number".into()),
                    assurance_level: demo_registry::ASSURANCE_LEVEL,
                    approval: Some("general".into()),
                    sponsor_id: Some(demo_registry::SPONSOR_ID.into()),
                    services: VIEWERS.iter().map(|v| v.0.to_owned()).collect(),
                    ..RegistryInput::default()
                },
                demo,
            )
            .await
            .map_err(|e| e.to_string())?;
    }
    let (private_pem, public_pem) =
        demo_registry::load_or_create_key(&data_dir.join(demo_registry::KEY_FILE))?;
    let keys = registries
        .keys(demo_registry::REGISTRY_ID)
        .await
        .map_err(err)?;
    let kid = match keys
        .iter()
        .find(|k| k.public_pem.trim() == public_pem.trim())
    {
        Some(k) => k.kid.clone(),
        None => {
            p.registration
                .add_registry_key(
                    demo_registry::REGISTRY_ID,
                    KeyInput {
                        alg: Some("ES256".into()),
                        public_key_pem: public_pem,
                        kid: None,
                        rotate: !keys.is_empty(),
                        overlap_secs: (!keys.is_empty()).then_some(0),
                    },
                    demo,
                )
                .await
                .map_err(|e| e.to_string())?
                .kid
        }
    };
    seed_lra(p).await?;
    Ok(DemoRegistry {
        id: demo_registry::REGISTRY_ID.into(),
        college: demo_registry::COLLEGE.into(),
        kid,
        private_pem,
    })
}

/// Seeds the LRA console's demo: the CPSO may sponsor people into the three viewers' services
/// and the staff account is its LRA; a registering organization (AL2, employee numbers) with
/// the same services and an LRA of its own. Each part only when missing.
async fn seed_lra(p: &Provider) -> Result<(), String> {
    let dir = &p.registration.directory;
    let err = |e: registration::RegistrationError| e.to_string();
    let (uhn, uhn_name) = DEMO_REGISTERING_ORG;
    if dir.organization(uhn).await.map_err(err)?.is_none() {
        dir.put_organization(uhn, uhn_name).await.map_err(err)?;
        let change = registration::services::OrganizationChange {
            registering: Some(true),
            assurance_level: Some(Some(2)),
            id_scheme: Some(Some("employee number".into())),
            scope: Some(Some("general".into())),
            ..Default::default()
        };
        dir.update_organization(uhn, change).await.map_err(err)?;
    }
    for org in [demo_registry::SPONSOR_ID, uhn] {
        for (id, ..) in VIEWERS {
            dir.allow_service(org, id).await.map_err(err)?;
        }
    }
    if let Some(staff) = p
        .accounts
        .find_by_login_id(DEMO_STAFF_LOGIN_ID)
        .await
        .map_err(|e| e.to_string())?
    {
        staff_phone(p, &staff.id, "416-555-0188").await?;
        dir.grant_lra(demo_registry::SPONSOR_ID, &staff.id, "demo")
            .await
            .map_err(err)?;
    }
    let registrar = match p
        .accounts
        .find_by_login_id(DEMO_UHN_LRA_LOGIN_ID)
        .await
        .map_err(|e| e.to_string())?
    {
        Some(a) => a,
        None => p
            .accounts
            .create(NewAccount {
                login_id: Some(DEMO_UHN_LRA_LOGIN_ID.to_owned()),
                given_name: "Jordan".to_owned(),
                family_name: "Patel".to_owned(),
                email: Some("jordan.patel@example.org".to_owned()),
                locale: "en".to_owned(),
                password: DEMO_UHN_LRA_PASSWORD.to_owned(),
                ..NewAccount::default()
            })
            .await
            .map_err(|e| e.to_string())?,
    };
    // A staff role goes only to an account with a second factor: the phone comes first.
    staff_phone(p, &registrar.id, "416-555-0177").await?;
    dir.grant_lra(uhn, &registrar.id, "demo")
        .await
        .map_err(err)?;
    Ok(())
}

/// Gives a demo staff account its demo phone (codes read at `/demo/codes`) when it has no
/// second factor yet: a staff role is granted only to an account with one.
async fn staff_phone(p: &Provider, account_id: &str, phone: &str) -> Result<(), String> {
    if !p
        .accounts
        .has_second_factor(account_id)
        .await
        .map_err(|e| e.to_string())?
    {
        p.accounts
            .set_challenge_phones(
                account_id,
                &[(phone.to_owned(), credential_store::PhoneKind::Mobile)],
                false,
            )
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The demo's SMART parts: a record system (EHR) that opens a SMART app for a patient, the
/// app, and the FHIR server both use.
#[derive(Debug, Clone)]
pub struct SmartDemo {
    /// The record system's base URL (port 8085 in the demo).
    pub ehr_base: String,
    /// The SMART app's base URL (port 8086).
    pub app_base: String,
    /// The FHIR server's base URL (`http://127.0.0.1:8087/fhir`).
    pub fhir_base: String,
}

/// Ports of the demo record system, SMART app and FHIR server.
pub const SMART_PORTS: (u16, u16, u16) = (8085, 8086, 8087);
/// The record system's client id and secret.
pub const EHR_CLIENT: (&str, &str) = ("lakeshore-ehr", "lakeshore-ehr-demo-secret");
/// Its name.
pub const EHR_NAME: &str = "Lakeshore General Hospital EHR";
/// The SMART app's client id and secret.
pub const SMART_APP_CLIENT: (&str, &str) = ("medication-viewer", "medication-viewer-demo-secret");
/// Its name.
pub const SMART_APP_NAME: &str = "Medication viewer";
/// The FHIR server's client id (it introspects tokens) and secret.
pub const FHIR_CLIENT: (&str, &str) = ("demo-fhir", "demo-fhir-demo-secret");
/// The FHIR server's resource server id.
pub const FHIR_RESOURCE: &str = "demo-fhir";
/// The service the record system and the SMART app belong to: (id, name).
pub const SMART_SERVICE: (&str, &str) = ("lakeshore", "Lakeshore General Hospital (demo)");

impl SmartDemo {
    /// The demo's, on its fixed ports.
    pub fn fixed() -> SmartDemo {
        let (ehr, app, fhir) = SMART_PORTS;
        SmartDemo {
            ehr_base: format!("http://127.0.0.1:{ehr}"),
            app_base: format!("http://127.0.0.1:{app}"),
            fhir_base: format!("http://127.0.0.1:{fhir}/fhir"),
        }
    }
}

/// Seeds the SMART parts if missing: the FHIR server as a resource server (SMART read scopes)
/// and as a client that may introspect; the record system, a client that may make launches;
/// the medication viewer, a third-party app (so the person consents) allowed to read patients
/// and their medication requests there.
pub async fn seed_smart(p: &Provider, d: &SmartDemo) -> Result<(), String> {
    let e = |e: authorization_server::ClientError| e.to_string();
    smart_service(p, d).await?;
    if p.clients.get(FHIR_CLIENT.0).await.map_err(e)?.is_none() {
        p.clients
            .add(NewClient {
                client_id: FHIR_CLIENT.0.into(),
                name: "Demo FHIR server".into(),
                secret: Some(FHIR_CLIENT.1.into()),
                grant_types: vec!["client_credentials".into()],
                scopes: vec!["oneid:introspect".into()],
                ..NewClient::default()
            })
            .await
            .map_err(e)?;
    }
    let resources = &p.resources;
    let re = |e: authorization_server::resources::ResourceError| e.to_string();
    if resources.get(FHIR_RESOURCE).await.map_err(re)?.is_none() {
        resources
            .add(authorization_server::resources::NewResourceServer {
                id: FHIR_RESOURCE.into(),
                name: "Demo FHIR server".into(),
                audience: d.fhir_base.clone(),
                scopes: vec!["patient/*.rs".into(), "user/*.rs".into()],
            })
            .await
            .map_err(re)?;
    }
    if p.clients.get(EHR_CLIENT.0).await.map_err(e)?.is_none() {
        let mut scopes: Vec<String> = authorization_server::clients::SCOPES
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        scopes.push("oneid:launch".into());
        p.clients
            .add(NewClient {
                client_id: EHR_CLIENT.0.into(),
                name: EHR_NAME.into(),
                redirect_uris: vec![format!("{}/callback", d.ehr_base)],
                post_logout_redirect_uris: vec![format!("{}/", d.ehr_base)],
                secret: Some(EHR_CLIENT.1.into()),
                backchannel_logout_uri: Some(format!("{}/backchannel-logout", d.ehr_base)),
                service_id: Some(SMART_SERVICE.0.into()),
                scopes,
                ..NewClient::default()
            })
            .await
            .map_err(e)?;
    }
    if p.clients
        .get(SMART_APP_CLIENT.0)
        .await
        .map_err(e)?
        .is_none()
    {
        p.clients
            .add(NewClient {
                client_id: SMART_APP_CLIENT.0.into(),
                name: SMART_APP_NAME.into(),
                redirect_uris: vec![format!("{}/callback", d.app_base)],
                secret: Some(SMART_APP_CLIENT.1.into()),
                scopes: ["openid", "profile", "fhirUser", "launch", "launch/patient"]
                    .map(str::to_owned)
                    .to_vec(),
                third_party: true,
                service_id: Some(SMART_SERVICE.0.into()),
                ..NewClient::default()
            })
            .await
            .map_err(e)?;
        resources
            .allow(
                SMART_APP_CLIENT.0,
                FHIR_RESOURCE,
                &[
                    "patient/Patient.rs".into(),
                    "patient/MedicationRequest.rs".into(),
                ],
            )
            .await
            .map_err(re)?;
        p.clients.forget(SMART_APP_CLIENT.0);
    }
    Ok(())
}

/// The record system's service, if missing; the CPSO may sponsor people into it and the demo
/// clinician (when seeded, with the CPSO as sponsor) is enrolled there.
async fn smart_service(p: &Provider, d: &SmartDemo) -> Result<(), String> {
    let dir = &p.registration.directory;
    let err = |e: registration::RegistrationError| e.to_string();
    let (id, name) = SMART_SERVICE;
    if !dir
        .services()
        .await
        .map_err(err)?
        .iter()
        .any(|s| s.id == id)
    {
        dir.put_service(&registration::Service {
            id: id.to_owned(),
            name: name.to_owned(),
            url: Some(format!("{}/", d.ehr_base)),
            min_assurance_level: 1,
        })
        .await
        .map_err(err)?;
    }
    let sponsor = demo_registry::SPONSOR_ID;
    if dir.organization(sponsor).await.map_err(err)?.is_none() {
        return Ok(());
    }
    dir.allow_service(sponsor, id).await.map_err(err)?;
    if let Some(alex) = p
        .accounts
        .find_by_login_id(DEMO_LOGIN_ID)
        .await
        .map_err(|e| e.to_string())?
    {
        let enrolments = dir.enrolments(&alex.id).await.map_err(err)?;
        if !enrolments.is_empty() && !enrolments.iter().any(|e| e.service.id == id) {
            dir.enrol(&alex.id, id, sponsor, "demo")
                .await
                .map_err(err)?;
        }
    }
    Ok(())
}
