//! The built-in data classes: ids, names, categories, severities and sections.

use palisade_core::{Section, Severity};
use serde::{Deserialize, Serialize};

/// Broad kind of a data class, for grouping in reports and risk scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Personal,
    Financial,
    Government,
    Health,
    Network,
    Secret,
    Custom,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Personal => "personal",
            Category::Financial => "financial",
            Category::Government => "government",
            Category::Health => "health",
            Category::Network => "network",
            Category::Secret => "secret",
            Category::Custom => "custom",
        }
    }
}

/// Static description of one built-in class.
pub(crate) struct BuiltinDef {
    pub id: &'static str,
    pub name: &'static str,
    pub category: Category,
    pub severity: Severity,
}

macro_rules! builtins {
    ($($variant:ident => ($id:literal, $name:literal, $category:ident, $severity:ident),)*) => {
        /// Built-in classes in the order of [`BUILTINS`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub(crate) enum Builtin {
            $($variant,)*
        }

        /// Every built-in class, in table order.
        pub(crate) const BUILTIN_ORDER: &[Builtin] = &[$(Builtin::$variant,)*];

        pub(crate) const BUILTINS: &[BuiltinDef] = &[
            $(BuiltinDef { id: $id, name: $name, category: Category::$category, severity: Severity::$severity },)*
        ];
    };
}

builtins! {
    Email => ("email", "Email address", Personal, Medium),
    Phone => ("phone_number", "Phone number", Personal, Medium),
    PersonName => ("person_name", "Person name", Personal, Low),
    StreetAddress => ("street_address", "Street address", Personal, Medium),
    DateOfBirth => ("date_of_birth", "Date of birth", Personal, Medium),
    GeoCoordinates => ("geo_coordinates", "Geographic coordinates", Personal, Medium),
    Vin => ("vin", "Vehicle identification number", Personal, Low),
    Passport => ("passport_number", "Passport number", Government, High),
    DriversLicense => ("drivers_license", "Driver's licence number", Government, High),
    UsSsn => ("us_ssn", "US Social Security number", Government, Critical),
    UsItin => ("us_itin", "US individual taxpayer identification number", Government, Critical),
    UkNino => ("uk_nino", "UK National Insurance number", Government, High),
    CaSin => ("ca_sin", "Canadian Social Insurance number", Government, High),
    InAadhaar => ("in_aadhaar", "Aadhaar number", Government, High),
    InPan => ("in_pan", "Indian permanent account number (PAN)", Government, High),
    BrCpf => ("br_cpf", "Brazilian CPF", Government, High),
    BrCnpj => ("br_cnpj", "Brazilian CNPJ", Government, Medium),
    NlBsn => ("nl_bsn", "Dutch citizen service number (BSN)", Government, High),
    EsDni => ("es_dni", "Spanish DNI", Government, High),
    EsNie => ("es_nie", "Spanish NIE", Government, High),
    ItCodiceFiscale => ("it_codice_fiscale", "Italian codice fiscale", Government, High),
    CnResidentId => ("cn_resident_id", "Chinese resident identity card number", Government, High),
    SePersonnummer => ("se_personnummer", "Swedish personal identity number", Government, High),
    FiHetu => ("fi_hetu", "Finnish personal identity code", Government, High),
    PlPesel => ("pl_pesel", "Polish PESEL", Government, High),
    MedicalRecord => ("medical_record_number", "Medical record number", Health, High),
    UsNpi => ("us_npi", "US National Provider Identifier", Health, Low),
    CardVisa => ("credit_card_visa", "Visa card number", Financial, Critical),
    CardMastercard => ("credit_card_mastercard", "Mastercard card number", Financial, Critical),
    CardAmex => ("credit_card_amex", "American Express card number", Financial, Critical),
    CardDiscover => ("credit_card_discover", "Discover card number", Financial, Critical),
    CardJcb => ("credit_card_jcb", "JCB card number", Financial, Critical),
    CardDiners => ("credit_card_diners", "Diners Club card number", Financial, Critical),
    CardUnionPay => ("credit_card_unionpay", "UnionPay card number", Financial, Critical),
    CardSecurityCode => ("card_security_code", "Card security code (CVV)", Financial, Critical),
    Iban => ("iban", "International bank account number (IBAN)", Financial, High),
    AbaRouting => ("us_aba_routing", "US ABA routing number", Financial, Low),
    SwiftBic => ("swift_bic", "SWIFT/BIC code", Financial, Low),
    Ipv4 => ("ipv4_address", "IPv4 address", Network, Low),
    Ipv6 => ("ipv6_address", "IPv6 address", Network, Low),
    Mac => ("mac_address", "MAC address", Network, Low),
    AwsAccessKeyId => ("aws_access_key_id", "AWS access key id", Secret, High),
    AwsSecretKey => ("aws_secret_access_key", "AWS secret access key", Secret, Critical),
    GoogleApiKey => ("google_api_key", "Google API key", Secret, High),
    GithubToken => ("github_token", "GitHub token", Secret, Critical),
    GitlabToken => ("gitlab_token", "GitLab token", Secret, Critical),
    SlackToken => ("slack_token", "Slack token", Secret, Critical),
    SlackWebhook => ("slack_webhook_url", "Slack webhook URL", Secret, High),
    StripeSecretKey => ("stripe_secret_key", "Stripe secret or restricted key", Secret, Critical),
    StripePublishableKey => ("stripe_publishable_key", "Stripe publishable key", Secret, Low),
    TwilioAccountSid => ("twilio_account_sid", "Twilio account SID", Secret, Low),
    TwilioApiKeySid => ("twilio_api_key_sid", "Twilio API key SID", Secret, Medium),
    TwilioAuthToken => ("twilio_auth_token", "Twilio auth token", Secret, Critical),
    SendgridApiKey => ("sendgrid_api_key", "SendGrid API key", Secret, Critical),
    NpmToken => ("npm_token", "npm access token", Secret, Critical),
    PypiToken => ("pypi_token", "PyPI API token", Secret, Critical),
    Jwt => ("jwt", "JSON Web Token", Secret, High),
    PrivateKey => ("private_key", "PEM private key", Secret, Critical),
    DatabaseUrl => ("database_url", "Database URL with credentials", Secret, Critical),
    Password => ("password", "Password", Secret, Critical),
    BearerToken => ("bearer_token", "Bearer or session token", Secret, High),
    BasicAuth => ("basic_auth", "HTTP Basic credentials", Secret, Critical),
    ApiKey => ("api_key", "API key or client secret", Secret, High),
}

impl Builtin {
    /// Classes that only key names identify. A match of any more specific secret class
    /// on the same text replaces them, so `access_token: eyJ...` reports a JWT.
    pub fn is_generic_secret(self) -> bool {
        matches!(self, Builtin::Password | Builtin::BearerToken | Builtin::ApiKey)
    }
}

/// Sections every built-in class applies to: a value can carry sensitive data wherever
/// it appears in a trace.
pub(crate) const ALL_SECTIONS: &[Section] = &Section::ALL;

/// Metlo's built-in class names (the keys `disabledDataClass` lists) and the Palisade
/// classes each one stands for.
pub(crate) const METLO_CLASS_NAMES: &[(&str, &[&str])] = &[
    ("EMAIL", &["email"]),
    (
        "CREDIT_CARD",
        &[
            "credit_card_visa",
            "credit_card_mastercard",
            "credit_card_amex",
            "credit_card_discover",
            "credit_card_jcb",
            "credit_card_diners",
            "credit_card_unionpay",
        ],
    ),
    ("SSN", &["us_ssn"]),
    ("PHONE_NUMBER", &["phone_number"]),
    ("IP_ADDRESS", &["ipv4_address", "ipv6_address"]),
    ("COORDINATE", &["geo_coordinates"]),
    ("VIN", &["vin"]),
    ("ADDRESS", &["street_address"]),
    ("DOB", &["date_of_birth"]),
    ("DL_NUMBER", &["drivers_license"]),
    ("AADHAR_NUMBER", &["in_aadhaar"]),
    ("BRAZIL_CPF", &["br_cpf"]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_classes_page_lists_every_builtin() {
        let page = include_str!("../../../docs/data-classes.md");
        for def in BUILTINS {
            let row = format!("| `{}` | {} |", def.id, def.name);
            assert!(page.contains(&row), "docs/data-classes.md has no row for {}", def.id);
        }
    }

    #[test]
    fn builtin_ids_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for def in BUILTINS {
            assert!(seen.insert(def.id), "duplicate id {}", def.id);
            assert!(def.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'), "{}", def.id);
        }
        assert!(BUILTINS.len() >= 40);
    }

    #[test]
    fn builtin_enum_matches_table() {
        assert_eq!(BUILTINS[Builtin::Email as usize].id, "email");
        assert_eq!(BUILTINS[Builtin::ApiKey as usize].id, "api_key");
        assert_eq!(Builtin::ApiKey as usize, BUILTINS.len() - 1);
    }

    #[test]
    fn metlo_names_map_to_builtins() {
        for (_, ids) in METLO_CLASS_NAMES {
            for id in *ids {
                assert!(BUILTINS.iter().any(|d| d.id == *id), "{id}");
            }
        }
    }
}
