//! SMART App Launch's scope grammar (2.2, "Scopes for requesting clinical data"): which data a
//! scope reaches and how one scope covers another, so that a client registered for some
//! clinical scopes is granted exactly the requests they cover.
//!
//! - v2: `patient|user|system` `/` a FHIR R4 resource type or `*` `.` permissions out of
//!   `cruds`, in that order (`rs`, `cud`, `cruds`...), optionally `?` search parameters
//!   (`patient/Observation.rs?category=laboratory`, several joined by `&`).
//! - v1: the same with `read`, `write` or `*` (`patient/*.read`), never with parameters;
//!   `read` is `rs` and `write` is `cud` in v2's terms.
//!
//! A scope shaped like a clinical scope but malformed (unknown resource type, permissions out
//! of order or unknown, a parameter without a value) is refused whole (`invalid_scope`), never
//! silently reinterpreted. Other scopes (`openid`, `launch/patient`, `api:read`...) are not
//! clinical scopes and are compared as they are written.

/// Who the data is reached as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// The patient in context.
    Patient,
    /// Whatever the user may reach.
    User,
    /// A backend service, no user.
    System,
}

const C: u8 = 1;
const R: u8 = 2;
const U: u8 = 4;
const D: u8 = 8;
const S: u8 = 16;

/// A clinical scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClinicalScope {
    pub context: Context,
    /// The resource type; `None` for `*`.
    pub resource: Option<String>,
    /// Create, read, update, delete, search (bits).
    perms: u8,
    /// Search parameters that narrow it (name, value), sorted.
    pub filter: Vec<(String, String)>,
}

/// Why a clinical scope is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("scope {0}: unknown FHIR resource type")]
    UnknownResource(String),
    #[error(
        "scope {0}: permissions must be some of c, r, u, d, s in that order (or read, write, *)"
    )]
    BadPermissions(String),
    #[error("scope {0}: a search parameter must be name=value (several joined by &)")]
    BadFilter(String),
}

/// FHIR R4's resource types.
const RESOURCE_TYPES: &[&str] = &[
    "Account",
    "ActivityDefinition",
    "AdverseEvent",
    "AllergyIntolerance",
    "Appointment",
    "AppointmentResponse",
    "AuditEvent",
    "Basic",
    "Binary",
    "BiologicallyDerivedProduct",
    "BodyStructure",
    "Bundle",
    "CapabilityStatement",
    "CarePlan",
    "CareTeam",
    "CatalogEntry",
    "ChargeItem",
    "ChargeItemDefinition",
    "Claim",
    "ClaimResponse",
    "ClinicalImpression",
    "CodeSystem",
    "Communication",
    "CommunicationRequest",
    "CompartmentDefinition",
    "Composition",
    "ConceptMap",
    "Condition",
    "Consent",
    "Contract",
    "Coverage",
    "CoverageEligibilityRequest",
    "CoverageEligibilityResponse",
    "DetectedIssue",
    "Device",
    "DeviceDefinition",
    "DeviceMetric",
    "DeviceRequest",
    "DeviceUseStatement",
    "DiagnosticReport",
    "DocumentManifest",
    "DocumentReference",
    "EffectEvidenceSynthesis",
    "Encounter",
    "Endpoint",
    "EnrollmentRequest",
    "EnrollmentResponse",
    "EpisodeOfCare",
    "EventDefinition",
    "Evidence",
    "EvidenceVariable",
    "ExampleScenario",
    "ExplanationOfBenefit",
    "FamilyMemberHistory",
    "Flag",
    "Goal",
    "GraphDefinition",
    "Group",
    "GuidanceResponse",
    "HealthcareService",
    "ImagingStudy",
    "Immunization",
    "ImmunizationEvaluation",
    "ImmunizationRecommendation",
    "ImplementationGuide",
    "InsurancePlan",
    "Invoice",
    "Library",
    "Linkage",
    "List",
    "Location",
    "Measure",
    "MeasureReport",
    "Media",
    "Medication",
    "MedicationAdministration",
    "MedicationDispense",
    "MedicationKnowledge",
    "MedicationRequest",
    "MedicationStatement",
    "MedicinalProduct",
    "MedicinalProductAuthorization",
    "MedicinalProductContraindication",
    "MedicinalProductIndication",
    "MedicinalProductIngredient",
    "MedicinalProductInteraction",
    "MedicinalProductManufactured",
    "MedicinalProductPackaged",
    "MedicinalProductPharmaceutical",
    "MedicinalProductUndesirableEffect",
    "MessageDefinition",
    "MessageHeader",
    "MolecularSequence",
    "NamingSystem",
    "NutritionOrder",
    "Observation",
    "ObservationDefinition",
    "OperationDefinition",
    "OperationOutcome",
    "Organization",
    "OrganizationAffiliation",
    "Parameters",
    "Patient",
    "PaymentNotice",
    "PaymentReconciliation",
    "Person",
    "PlanDefinition",
    "Practitioner",
    "PractitionerRole",
    "Procedure",
    "Provenance",
    "Questionnaire",
    "QuestionnaireResponse",
    "RelatedPerson",
    "RequestGroup",
    "ResearchDefinition",
    "ResearchElementDefinition",
    "ResearchStudy",
    "ResearchSubject",
    "RiskAssessment",
    "RiskEvidenceSynthesis",
    "Schedule",
    "SearchParameter",
    "ServiceRequest",
    "Slot",
    "Specimen",
    "SpecimenDefinition",
    "StructureDefinition",
    "StructureMap",
    "Subscription",
    "Substance",
    "SubstanceNucleicAcid",
    "SubstancePolymer",
    "SubstanceProtein",
    "SubstanceReferenceInformation",
    "SubstanceSourceMaterial",
    "SubstanceSpecification",
    "SupplyDelivery",
    "SupplyRequest",
    "Task",
    "TerminologyCapabilities",
    "TestReport",
    "TestScript",
    "ValueSet",
    "VerificationResult",
    "VisionPrescription",
];

fn v2_perms(p: &str) -> Option<u8> {
    let mut bits = 0u8;
    let mut last = 0usize;
    for ch in p.chars() {
        let (i, b) = match ch {
            'c' => (1, C),
            'r' => (2, R),
            'u' => (3, U),
            'd' => (4, D),
            's' => (5, S),
            _ => return None,
        };
        // In order, each once.
        if i <= last {
            return None;
        }
        last = i;
        bits |= b;
    }
    (bits != 0).then_some(bits)
}

fn filter_of(scope: &str, q: &str) -> Result<Vec<(String, String)>, ScopeError> {
    let bad = || ScopeError::BadFilter(scope.to_owned());
    let name_ok = |n: &str| {
        n.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
    };
    let mut out = Vec::new();
    for pair in q.split('&') {
        let (n, v) = pair.split_once('=').ok_or_else(bad)?;
        if !name_ok(n) || v.is_empty() || v.contains(char::is_whitespace) {
            return Err(bad());
        }
        out.push((n.to_owned(), v.to_owned()));
    }
    out.sort();
    Ok(out)
}

impl ClinicalScope {
    /// The clinical scope `s` is, `Ok(None)` when `s` is no clinical scope at all, or why it
    /// is a malformed one.
    pub fn parse(s: &str) -> Result<Option<ClinicalScope>, ScopeError> {
        let Some((ctx, rest)) = s.split_once('/') else {
            return Ok(None);
        };
        let context = match ctx {
            "patient" => Context::Patient,
            "user" => Context::User,
            "system" => Context::System,
            _ => return Ok(None),
        };
        let (body, query) = match rest.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (rest, None),
        };
        let Some((resource, perms)) = body.split_once('.') else {
            return Err(ScopeError::BadPermissions(s.to_owned()));
        };
        let resource = match resource {
            "*" => None,
            r if RESOURCE_TYPES.contains(&r) => Some(r.to_owned()),
            _ => return Err(ScopeError::UnknownResource(s.to_owned())),
        };
        let (perms, v1) = match perms {
            "read" => (R | S, true),
            "write" => (C | U | D, true),
            "*" => (C | R | U | D | S, true),
            p => (
                v2_perms(p).ok_or_else(|| ScopeError::BadPermissions(s.to_owned()))?,
                false,
            ),
        };
        let filter = match query {
            // v1 has no search parameters.
            Some(_) if v1 => return Err(ScopeError::BadFilter(s.to_owned())),
            Some(q) => filter_of(s, q)?,
            None => Vec::new(),
        };
        Ok(Some(ClinicalScope {
            context,
            resource,
            perms,
            filter,
        }))
    }

    /// Its permissions as v2 letters, in order (`rs`, `cruds`...).
    pub fn permission_letters(&self) -> String {
        [(C, 'c'), (R, 'r'), (U, 'u'), (D, 'd'), (S, 's')]
            .iter()
            .filter(|(bit, _)| self.perms & bit != 0)
            .map(|(_, l)| *l)
            .collect()
    }

    /// Whether this (registered) scope reaches everything `asked` reaches: the same context,
    /// its resource type (or `*`), its permissions, and no wider search (every parameter this
    /// one narrows by, `asked` narrows by too).
    pub fn covers(&self, asked: &ClinicalScope) -> bool {
        self.context == asked.context
            && (self.resource.is_none() || self.resource == asked.resource)
            && asked.perms & !self.perms == 0
            && self.filter.iter().all(|f| asked.filter.contains(f))
    }
}

/// Whether a client registered for `registered` may be granted `asked`: a clinical scope when
/// one of the registered clinical scopes covers it, any other scope when it is registered as
/// written. A malformed clinical scope is an error (the request's `invalid_scope`).
pub fn allowed(registered: &[String], asked: &str) -> Result<bool, ScopeError> {
    match ClinicalScope::parse(asked)? {
        None => Ok(registered.iter().any(|s| s == asked)),
        Some(a) => Ok(registered.iter().any(|r| {
            ClinicalScope::parse(r)
                .ok()
                .flatten()
                .is_some_and(|r| r.covers(&a))
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ClinicalScope {
        ClinicalScope::parse(s).unwrap().unwrap()
    }

    #[test]
    fn the_v2_and_v1_grammars_both_parse() {
        for ok in [
            "patient/Observation.rs",
            "user/*.cruds",
            "system/*.rs",
            "patient/Observation.rs?category=laboratory",
            "patient/Observation.rs?category=laboratory&status=final",
            "user/Patient.r",
            "patient/*.read",
            "user/Patient.write",
            "system/*.*",
        ] {
            assert!(ClinicalScope::parse(ok).unwrap().is_some(), "{ok}");
        }
        assert_eq!(p("patient/*.read").perms, p("patient/*.rs").perms);
        assert_eq!(p("user/Patient.write").perms, p("user/Patient.cud").perms);
        assert_eq!(
            p("patient/Observation.rs?status=final&category=laboratory").filter,
            p("patient/Observation.rs?category=laboratory&status=final").filter
        );
        // Not clinical scopes: compared as written.
        for other in [
            "openid",
            "fhirUser",
            "launch/patient",
            "launch",
            "api:read",
            "offline_access",
        ] {
            assert_eq!(ClinicalScope::parse(other), Ok(None), "{other}");
        }
    }

    #[test]
    fn an_unknown_resource_type_or_bad_permissions_or_a_bad_filter_is_refused() {
        for (bad, why) in [
            ("patient/Foo.rs", "resource"),
            ("patient/observation.rs", "resource"),
            ("patient/.rs", "resource"),
            ("patient/Observation.rx", "perms"),
            ("patient/Observation.sr", "perms"),
            ("patient/Observation.rr", "perms"),
            ("patient/Observation.", "perms"),
            ("patient/Observation", "perms"),
            ("patient/Observation.rs?category", "filter"),
            ("patient/Observation.rs?category=", "filter"),
            ("patient/Observation.rs?=x", "filter"),
            ("patient/Observation.rs?a=b&", "filter"),
            ("patient/Observation.read?category=laboratory", "filter"),
        ] {
            let e = ClinicalScope::parse(bad).unwrap_err();
            let kind = match e {
                ScopeError::UnknownResource(_) => "resource",
                ScopeError::BadPermissions(_) => "perms",
                ScopeError::BadFilter(_) => "filter",
            };
            assert_eq!(kind, why, "{bad}");
            assert!(e.to_string().contains(bad));
        }
    }

    #[test]
    fn a_registered_scope_covers_only_what_it_reaches() {
        let reg = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let r = reg(&[
            "patient/*.rs",
            "user/Observation.rs?category=laboratory",
            "system/Patient.read",
            "api:read",
        ]);
        let ok = |s: &str| allowed(&r, s).unwrap();
        assert!(ok("patient/Observation.r"));
        assert!(ok("patient/Observation.rs?category=vital-signs"));
        assert!(!ok("patient/Observation.cruds"));
        assert!(
            !ok("user/Observation.rs"),
            "the registration narrows by category"
        );
        assert!(ok("user/Observation.rs?category=laboratory"));
        assert!(ok("user/Observation.r?category=laboratory&status=final"));
        assert!(!ok("user/Observation.rs?category=vital-signs"));
        assert!(!ok("user/Patient.r"), "another resource type");
        assert!(ok("system/Patient.rs") && !ok("system/Patient.u"));
        assert!(!ok("system/Observation.r"), "another context");
        assert!(ok("api:read") && !ok("api:write"));
        assert!(allowed(&r, "patient/Nope.r").is_err());
    }
}
