//! Labelled samples: which keys each class appears under, and the look-alikes and
//! filler placed beside them.

use fastrand::Rng;

use super::values::{self as v, pick};
use super::{FieldKind, Sample};

/// Keys that tell nothing about their value.
const NEUTRAL_KEYS: &[&str] =
    &["value", "data", "input", "result", "attr", "content", "detail", "entry", "field_7", "v", "payload_item"];
const NEUTRAL_PARENTS: &[&str] = &["data", "attributes", "meta", "extra", "record"];
/// Keys of free text that may mention anything.
const TEXT_KEYS: &[&str] = &["note", "comment", "message", "description", "remarks"];

fn split_keys(path: &str) -> Vec<String> {
    path.split('.').map(str::to_string).collect()
}

fn keyed(keys: &[&str], value: String, labels: &[&'static str], rng: &mut Rng) -> Sample {
    Sample {
        keys: split_keys(pick(rng, keys)),
        value,
        is_number: false,
        labels: labels.to_vec(),
        kind: if labels.is_empty() { FieldKind::LookAlike } else { FieldKind::Positive },
        neutral_key: false,
    }
}

fn neutral(value: String, labels: &[&'static str], rng: &mut Rng) -> Sample {
    let mut keys = Vec::new();
    if rng.bool() {
        keys.push(pick(rng, NEUTRAL_PARENTS).to_string());
    }
    keys.push(pick(rng, NEUTRAL_KEYS).to_string());
    Sample {
        keys,
        value,
        is_number: false,
        labels: labels.to_vec(),
        kind: if labels.is_empty() { FieldKind::LookAlike } else { FieldKind::Positive },
        neutral_key: true,
    }
}

/// Places a self-identifying value under one of `keys`, or a third of the time under a
/// neutral key.
fn keyed_or_neutral(keys: &[&str], value: String, label: &'static str, rng: &mut Rng) -> Sample {
    if rng.u8(0..3) == 0 { neutral(value, &[label], rng) } else { keyed(keys, value, &[label], rng) }
}

type PositiveFn = fn(&mut Rng, &Generator) -> Sample;

/// One generator per class; every class has at least one.
const POSITIVES: &[(&str, PositiveFn)] = &[
    ("email", |rng, _| {
        keyed_or_neutral(
            &["email", "emailAddress", "user.email", "contact.email", "billing.email_address"],
            v::email(rng),
            "email",
            rng,
        )
    }),
    ("phone_number", |rng, _| {
        if rng.u8(0..4) == 0 {
            keyed(&["phone", "contact.phone", "phoneNumber"], v::phone(rng, true), &["phone_number"], rng)
        } else {
            keyed_or_neutral(
                &["phone", "phoneNumber", "mobile", "contact.phone.number", "tel", "cell_phone", "fax"],
                v::phone(rng, false),
                "phone_number",
                rng,
            )
        }
    }),
    ("person_name", |rng, _| {
        let (keys, part): (&[&str], u8) = match rng.u8(0..3) {
            0 => (&["first_name", "firstName", "given_name", "user.first_name"], 0),
            1 => (&["last_name", "lastName", "surname", "family_name"], 1),
            _ => (&["full_name", "fullName", "customer.name", "patient.name", "cardholder_name", "contact_name"], 2),
        };
        keyed(keys, v::person_name(rng, part), &["person_name"], rng)
    }),
    ("street_address", |rng, _| {
        let with_city = rng.bool();
        let value = v::street_address(rng, with_city);
        keyed_or_neutral(
            &["address", "street_address", "billing.address.line1", "shipping.street", "home_address", "addressLine1"],
            value,
            "street_address",
            rng,
        )
    }),
    ("date_of_birth", |rng, _| {
        keyed(
            &["dob", "date_of_birth", "birthDate", "birthday", "patient.dob", "dateOfBirth"],
            v::date_of_birth(rng),
            &["date_of_birth"],
            rng,
        )
    }),
    ("geo_coordinates", |rng, _| match rng.u8(0..3) {
        0 => keyed_or_neutral(&["coordinates", "location", "geo"], v::coordinate_pair(rng), "geo_coordinates", rng),
        1 => number(&["lat", "latitude", "location.lat", "position.lat"], format!("{:.6}", v::latitude(rng)), rng),
        _ => number(&["lng", "lon", "longitude", "location.lng"], format!("{:.6}", v::longitude(rng)), rng),
    }),
    ("vin", |rng, _| {
        keyed_or_neutral(&["vin", "vehicle.vin", "vehicleIdentificationNumber"], v::vin(rng, true), "vin", rng)
    }),
    ("passport_number", |rng, _| {
        keyed(
            &["passport_number", "passport", "passportNo", "traveler.passport"],
            v::passport(rng),
            &["passport_number"],
            rng,
        )
    }),
    ("drivers_license", |rng, _| {
        keyed(
            &["driver_license", "drivers_license_number", "dl_number", "driverLicense"],
            v::drivers_license(rng),
            &["drivers_license"],
            rng,
        )
    }),
    ("us_ssn", |rng, _| {
        let digits = v::ssn_digits(rng);
        if rng.u8(0..3) == 0 {
            keyed(&["ssn", "social_security_number", "ssnNumber"], digits, &["us_ssn"], rng)
        } else {
            let formatted = v::format_ssn(&digits, if rng.bool() { "-" } else { " " });
            keyed_or_neutral(&["ssn", "taxpayer.ssn", "social_security_number"], formatted, "us_ssn", rng)
        }
    }),
    ("us_itin", |rng, _| {
        let digits = v::itin_digits(rng);
        if rng.u8(0..3) == 0 {
            keyed(&["itin"], digits, &["us_itin"], rng)
        } else {
            keyed_or_neutral(&["itin", "tax_id"], v::format_ssn(&digits, "-"), "us_itin", rng)
        }
    }),
    ("uk_nino", |rng, _| {
        keyed_or_neutral(&["nino", "ni_number", "national_insurance_number"], v::nino(rng, true), "uk_nino", rng)
    }),
    ("ca_sin", |rng, _| {
        let digits = v::sin_digits(rng, true);
        if rng.u8(0..3) == 0 {
            keyed(&["sin", "social_insurance_number"], digits, &["ca_sin"], rng)
        } else {
            let separator = if rng.bool() { " " } else { "-" };
            let formatted = format!("{}{separator}{}{separator}{}", &digits[..3], &digits[3..6], &digits[6..]);
            keyed_or_neutral(&["sin", "social_insurance_number"], formatted, "ca_sin", rng)
        }
    }),
    ("in_aadhaar", |rng, _| {
        let digits = v::aadhaar_digits(rng, true);
        if rng.u8(0..3) == 0 {
            keyed(&["aadhaar", "aadhaar_number", "aadhar_no"], digits, &["in_aadhaar"], rng)
        } else {
            let formatted = format!("{} {} {}", &digits[..4], &digits[4..8], &digits[8..]);
            keyed_or_neutral(&["aadhaar", "aadhaar_number"], formatted, "in_aadhaar", rng)
        }
    }),
    ("in_pan", |rng, _| keyed_or_neutral(&["pan", "pan_number", "panCard"], v::pan(rng), "in_pan", rng)),
    ("br_cpf", |rng, _| {
        let digits = v::cpf_digits(rng, true);
        if rng.u8(0..3) == 0 {
            keyed(&["cpf", "cliente.cpf"], digits, &["br_cpf"], rng)
        } else {
            let formatted = format!("{}.{}.{}-{}", &digits[..3], &digits[3..6], &digits[6..9], &digits[9..]);
            keyed_or_neutral(&["cpf", "cliente.cpf"], formatted, "br_cpf", rng)
        }
    }),
    ("br_cnpj", |rng, _| {
        let digits = v::cnpj_digits(rng, true);
        if rng.u8(0..3) == 0 {
            keyed(&["cnpj", "empresa.cnpj"], digits, &["br_cnpj"], rng)
        } else {
            let d = &digits;
            let formatted = format!("{}.{}.{}/{}-{}", &d[..2], &d[2..5], &d[5..8], &d[8..12], &d[12..]);
            keyed_or_neutral(&["cnpj", "empresa.cnpj"], formatted, "br_cnpj", rng)
        }
    }),
    ("nl_bsn", |rng, _| {
        keyed(&["bsn", "burgerservicenummer", "citizen_service_number"], v::bsn(rng, true), &["nl_bsn"], rng)
    }),
    ("es_dni", |rng, _| keyed_or_neutral(&["dni", "documento"], v::dni(rng, true), "es_dni", rng)),
    ("es_nie", |rng, _| keyed_or_neutral(&["nie", "documento"], v::nie(rng), "es_nie", rng)),
    ("it_codice_fiscale", |rng, _| {
        keyed_or_neutral(
            &["codice_fiscale", "codiceFiscale", "cf"],
            v::codice_fiscale(rng, true),
            "it_codice_fiscale",
            rng,
        )
    }),
    ("cn_resident_id", |rng, _| {
        keyed_or_neutral(
            &["id_card", "resident_id", "identity_number"],
            v::cn_resident_id(rng, true),
            "cn_resident_id",
            rng,
        )
    }),
    ("se_personnummer", |rng, _| {
        if rng.u8(0..3) == 0 {
            keyed(&["personnummer"], v::personnummer(rng, true), &["se_personnummer"], rng)
        } else {
            keyed_or_neutral(
                &["personnummer", "person.personnummer"],
                v::personnummer(rng, false),
                "se_personnummer",
                rng,
            )
        }
    }),
    ("fi_hetu", |rng, _| keyed_or_neutral(&["hetu", "henkilotunnus"], v::hetu(rng, true), "fi_hetu", rng)),
    ("pl_pesel", |rng, _| keyed(&["pesel", "klient.pesel"], v::pesel(rng, true), &["pl_pesel"], rng)),
    ("medical_record_number", |rng, _| {
        keyed(
            &["mrn", "medical_record_number", "patient.mrn", "medicalRecordNumber"],
            v::medical_record(rng),
            &["medical_record_number"],
            rng,
        )
    }),
    ("us_npi", |rng, _| keyed(&["npi", "provider.npi", "prescriber_npi"], v::npi(rng, true), &["us_npi"], rng)),
    ("credit_card_visa", |rng, _| card(rng, 0)),
    ("credit_card_mastercard", |rng, _| card(rng, 1)),
    ("credit_card_amex", |rng, _| card(rng, 2)),
    ("credit_card_discover", |rng, _| card(rng, 3)),
    ("credit_card_jcb", |rng, _| card(rng, 4)),
    ("credit_card_diners", |rng, _| card(rng, 5)),
    ("credit_card_unionpay", |rng, _| card(rng, 6)),
    ("card_security_code", |rng, _| {
        let value = format!("{:03}", rng.u16(0..1000));
        keyed(&["cvv", "cvc", "card.cvv", "security_code"], value, &["card_security_code"], rng)
    }),
    ("iban", |rng, generator| {
        let value = generator.iban(rng);
        keyed_or_neutral(&["iban", "bank.iban", "account_iban"], value, "iban", rng)
    }),
    ("us_aba_routing", |rng, _| {
        keyed(&["routing_number", "aba", "bank.routingNumber"], v::aba_routing(rng, true), &["us_aba_routing"], rng)
    }),
    ("swift_bic", |rng, _| keyed(&["swift", "bic", "swift_code", "bank.bic"], v::swift_bic(rng), &["swift_bic"], rng)),
    ("ipv4_address", |rng, _| {
        keyed_or_neutral(
            &["ip", "client_ip", "ip_address", "remote_addr", "x-forwarded-for"],
            v::ipv4(rng),
            "ipv4_address",
            rng,
        )
    }),
    ("ipv6_address", |rng, _| keyed_or_neutral(&["ip", "ipv6", "client_ip"], v::ipv6(rng), "ipv6_address", rng)),
    ("mac_address", |rng, _| keyed_or_neutral(&["mac", "mac_address", "device.mac"], v::mac(rng), "mac_address", rng)),
    ("aws_access_key_id", |rng, _| {
        keyed_or_neutral(&["aws_access_key_id", "accessKeyId"], v::aws_access_key_id(rng), "aws_access_key_id", rng)
    }),
    ("aws_secret_access_key", |rng, _| {
        keyed(
            &["aws_secret_access_key", "secretAccessKey", "aws_secret_key"],
            v::aws_secret(rng),
            &["aws_secret_access_key"],
            rng,
        )
    }),
    ("google_api_key", |rng, _| {
        keyed_or_neutral(&["google_api_key", "maps_key", "apiKey"], v::google_api_key(rng), "google_api_key", rng)
    }),
    ("github_token", |rng, _| {
        keyed_or_neutral(&["github_token", "token", "gh_token"], v::github_token(rng), "github_token", rng)
    }),
    ("gitlab_token", |rng, _| {
        keyed_or_neutral(&["gitlab_token", "private_token"], v::gitlab_token(rng), "gitlab_token", rng)
    }),
    ("slack_token", |rng, _| keyed_or_neutral(&["slack_token", "bot_token"], v::slack_token(rng), "slack_token", rng)),
    ("slack_webhook_url", |rng, _| {
        keyed_or_neutral(&["webhook_url", "slack_webhook"], v::slack_webhook(rng), "slack_webhook_url", rng)
    }),
    ("stripe_secret_key", |rng, _| {
        let kind = if rng.u8(0..4) == 0 { "rk" } else { "sk" };
        keyed_or_neutral(
            &["stripe_secret_key", "secret_key", "stripeKey"],
            v::stripe_key(rng, kind),
            "stripe_secret_key",
            rng,
        )
    }),
    ("stripe_publishable_key", |rng, _| {
        keyed_or_neutral(&["publishable_key", "stripe_pk"], v::stripe_key(rng, "pk"), "stripe_publishable_key", rng)
    }),
    ("twilio_account_sid", |rng, _| {
        keyed_or_neutral(&["account_sid", "twilio_sid"], v::twilio_sid(rng, "AC"), "twilio_account_sid", rng)
    }),
    ("twilio_api_key_sid", |rng, _| {
        keyed_or_neutral(&["api_key_sid", "twilio_key_sid"], v::twilio_sid(rng, "SK"), "twilio_api_key_sid", rng)
    }),
    ("twilio_auth_token", |rng, _| {
        keyed(
            &["twilio_auth_token", "twilioAuthToken", "twilio.auth_token"],
            v::hex(rng, 32),
            &["twilio_auth_token"],
            rng,
        )
    }),
    ("sendgrid_api_key", |rng, _| {
        keyed_or_neutral(&["sendgrid_api_key", "SENDGRID_KEY"], v::sendgrid_key(rng), "sendgrid_api_key", rng)
    }),
    ("npm_token", |rng, _| keyed_or_neutral(&["npm_token", "NPM_TOKEN"], v::npm_token(rng), "npm_token", rng)),
    ("pypi_token", |rng, _| keyed_or_neutral(&["pypi_token", "TWINE_PASSWORD"], v::pypi_token(rng), "pypi_token", rng)),
    ("jwt", |rng, _| {
        if rng.u8(0..4) == 0 {
            keyed(&["authorization"], format!("Bearer {}", v::jwt(rng)), &["jwt"], rng)
        } else {
            keyed_or_neutral(&["id_token", "access_token", "jwt", "token"], v::jwt(rng), "jwt", rng)
        }
    }),
    ("private_key", |rng, _| {
        keyed_or_neutral(&["private_key", "ssh_key", "tls.key"], v::private_key(rng), "private_key", rng)
    }),
    ("database_url", |rng, _| {
        let (url, ip_host) = v::database_url(rng);
        let labels: &[&'static str] = if ip_host { &["database_url", "ipv4_address"] } else { &["database_url"] };
        let keys = ["database_url", "DATABASE_URL", "db_dsn", "connection_string"];
        if rng.u8(0..3) == 0 { neutral(url, labels, rng) } else { keyed(&keys, url, labels, rng) }
    }),
    ("password", |rng, _| {
        keyed(
            &["password", "new_password", "passwd", "user.password", "confirm_password"],
            v::password(rng),
            &["password"],
            rng,
        )
    }),
    ("bearer_token", |rng, _| {
        if rng.bool() {
            let value = format!("Bearer {}", v::opaque_token(rng));
            keyed_or_neutral(&["authorization", "Authorization"], value, "bearer_token", rng)
        } else {
            keyed(
                &["access_token", "refresh_token", "session_token", "auth_token", "x-auth-token"],
                v::opaque_token(rng),
                &["bearer_token"],
                rng,
            )
        }
    }),
    ("basic_auth", |rng, _| {
        keyed_or_neutral(&["authorization", "proxy-authorization"], v::basic_auth(rng), "basic_auth", rng)
    }),
    ("api_key", |rng, _| {
        keyed(
            &["api_key", "apiKey", "x-api-key", "client_secret", "app_secret", "webhook_secret"],
            v::api_key(rng),
            &["api_key"],
            rng,
        )
    }),
];

fn number(keys: &[&str], value: String, rng: &mut Rng) -> Sample {
    Sample {
        keys: split_keys(pick(rng, keys)),
        value,
        is_number: true,
        labels: vec!["geo_coordinates"],
        kind: FieldKind::Positive,
        neutral_key: false,
    }
}

fn card(rng: &mut Rng, brand: usize) -> Sample {
    let digits = v::card_digits(rng, brand, true);
    let value = v::format_card(rng, &digits);
    let label = v::CARD_BRANDS[brand].0;
    keyed_or_neutral(&["card_number", "cardNumber", "payment.card.number", "cc_number"], value, label, rng)
}

/// Class ids that the generator labels.
pub fn positive_class_ids() -> impl Iterator<Item = &'static str> {
    POSITIVES.iter().map(|(id, _)| *id)
}

/// Draws samples; positives take turns over the classes.
pub(crate) struct Generator {
    next_positive: usize,
    iban_specs: Vec<(String, String)>,
}

impl Generator {
    pub fn new(iban_specs: &[(String, String)]) -> Self {
        Self { next_positive: 0, iban_specs: iban_specs.to_vec() }
    }

    fn iban(&self, rng: &mut Rng) -> String {
        if !self.iban_specs.is_empty() && rng.bool() {
            let (country, spec) = &self.iban_specs[rng.usize(..self.iban_specs.len())];
            if let Some(value) = v::bban(rng, spec).and_then(|bban| v::iban_from(country, &bban, true, rng.bool())) {
                return value;
            }
        }
        v::iban(rng, true)
    }

    pub fn positive(&mut self, rng: &mut Rng) -> Sample {
        if rng.u8(0..12) == 0 {
            return free_text(rng);
        }
        let (_, make) = POSITIVES[self.next_positive % POSITIVES.len()];
        self.next_positive += 1;
        make(rng, self)
    }

    pub fn look_alike(&mut self, rng: &mut Rng) -> Sample {
        let value_neutral = |value: String, rng: &mut Rng| neutral(value, &[], rng);
        match rng.u8(0..40) {
            0..=9 => {
                let (key, value) = v::look_alike(rng);
                keyed(&[key], value, &[], rng)
            }
            10 => {
                let (_, value) = v::look_alike(rng);
                value_neutral(value, rng)
            }
            11 => {
                let brand = rng.usize(..v::CARD_BRANDS.len());
                let digits = v::card_digits(rng, brand, false);
                let value = v::format_card(rng, &digits);
                if rng.bool() {
                    keyed(&["card_number", "cc_number"], value, &[], rng)
                } else {
                    value_neutral(value, rng)
                }
            }
            12 => {
                let value = v::iban(rng, false);
                if rng.bool() { keyed(&["iban"], value, &[], rng) } else { value_neutral(value, rng) }
            }
            13 => {
                let digits = v::invalid_ssn_digits(rng);
                let value = if rng.bool() { v::format_ssn(&digits, "-") } else { digits };
                keyed(&["ssn", "value"], value, &[], rng)
            }
            14 => keyed(&["cpf", "value"], v::cpf_digits(rng, false), &[], rng),
            15 => value_neutral(v::vin(rng, false), rng),
            16 => keyed(&["sin", "value"], v::sin_digits(rng, false), &[], rng),
            17 => keyed(&["aadhaar", "value"], v::aadhaar_digits(rng, false), &[], rng),
            18 => value_neutral(v::cn_resident_id(rng, false), rng),
            19 => value_neutral(v::nino(rng, false), rng),
            20 => value_neutral(v::dni(rng, false), rng),
            21 => value_neutral(v::codice_fiscale(rng, false), rng),
            22 => value_neutral(v::hetu(rng, false), rng),
            23 => keyed(&["pesel"], v::pesel(rng, false), &[], rng),
            24 => keyed(&["bsn"], v::bsn(rng, false), &[], rng),
            25 => keyed(&["npi"], v::npi(rng, false), &[], rng),
            26 => keyed(&["routing_number"], v::aba_routing(rng, false), &[], rng),
            27 => {
                let value = pick(rng, &["N/A", "+1 555", "12345", "+1 (000) 000-0000", "unknown"]).to_string();
                keyed(&["phone", "mobile"], value, &[], rng)
            }
            28 => {
                let value =
                    pick(rng, &["user@localhost", "@ada_l", "not-an-email", "ada at example dot com"]).to_string();
                keyed(&["email", "handle", "value"], value, &[], rng)
            }
            29 => {
                let (key, value) = match rng.u8(0..4) {
                    0 => ("password", "********".to_string()),
                    1 => ("password_changed_at", "2024-03-01T10:00:00Z".to_string()),
                    2 => ("password_policy", "at least 12 characters".to_string()),
                    _ => ("passwordHint", "first pet".to_string()),
                };
                keyed(&[key], value, &[], rng)
            }
            30 => {
                let (key, value) = match rng.u8(0..3) {
                    0 => ("next_page_token", v::opaque_token(rng)),
                    1 => ("token_type", "Bearer".to_string()),
                    _ => ("api_key_id", format!("key_{}", v::uuid(rng))),
                };
                keyed(&[key], value, &[], rng)
            }
            31 => {
                let value = v::date_of_birth(rng);
                keyed(&["created_at", "updated_at", "shipped_on", "due_date"], value, &[], rng)
            }
            32 => {
                let value =
                    pick(rng, &["Blue Widget", "Acme Corp", "report-2024.pdf", "jdoe42", "Springfield"]).to_string();
                keyed(&["product.name", "company_name", "file_name", "username", "city"], value, &[], rng)
            }
            33 => {
                let value = pick(rng, &["same as billing", "N/A", "see attached", "pending"]).to_string();
                keyed(&["address", "shipping.address"], value, &[], rng)
            }
            34 => {
                let (key, value) = match rng.u8(0..3) {
                    0 => ("price", format!("{}.{:04}", rng.u8(10..99), rng.u16(0..10000))),
                    1 => ("ratio", format!("{:.1}, {:.1}", rng.f32() * 10.0, rng.f32() * 10.0)),
                    _ => ("lat", format!("{:.3}", 91.0 + rng.f32() * 80.0)),
                };
                keyed(&[key], value, &[], rng)
            }
            35 => {
                let value = pick(rng, &["abc.def.ghi", "eyJub3Q.anNvbg.sig", "std::vector", "12:30:45", "10.4.2.1.7"]);
                value_neutral(value.to_string(), rng)
            }
            36 => {
                let value =
                    pick(rng, &["sk_live_short", "ghp_abc123", "AKIA1234", "xoxb-123", "glpat-abc", "SG.abc.def"]);
                value_neutral(value.to_string(), rng)
            }
            37 => {
                let value =
                    pick(rng, &["postgres://db.internal:5432/orders", "redis://cache:6379/0", "mysql://localhost/app"]);
                keyed(&["database_url", "value"], value.to_string(), &[], rng)
            }
            38 => {
                let value = format!("{}.{}.{}.{}", rng.u8(1..10), rng.u8(0..10), rng.u8(0..10), rng.u8(0..200));
                keyed(&["version", "app_version", "firmware_version"], value, &[], rng)
            }
            _ => {
                let value = format!("{}-{:02}-{:02}", rng.u16(2026..2035), rng.u8(1..13), rng.u8(1..29));
                keyed(&["passport_expiry", "license_expires"], value, &[], rng)
            }
        }
    }

    pub fn filler(&mut self, rng: &mut Rng) -> Sample {
        let (key, value, is_number) = match rng.u8(0..10) {
            0 => ("status", pick(rng, &["active", "pending", "shipped", "cancelled"]).to_string(), false),
            1 => ("count", rng.u32(0..10_000).to_string(), true),
            2 => ("currency", pick(rng, &["USD", "EUR", "GBP", "JPY"]).to_string(), false),
            3 => ("country", pick(rng, &["US", "DE", "FR", "IN", "BR"]).to_string(), false),
            4 => ("description", pick(rng, &["Fast delivery", "Gift wrapped order", "Two boxes"]).to_string(), false),
            5 => ("url", format!("https://shop.example.com/products/{}", rng.u32(1..99_999)), false),
            6 => ("page", rng.u8(1..50).to_string(), true),
            7 => ("color", pick(rng, &["blue", "red", "green"]).to_string(), false),
            8 => ("quantity", rng.u8(1..20).to_string(), true),
            _ => ("locale", pick(rng, &["en-US", "de-DE", "pt-BR"]).to_string(), false),
        };
        Sample {
            keys: vec![key.to_string()],
            value,
            is_number,
            labels: Vec::new(),
            kind: FieldKind::Filler,
            neutral_key: false,
        }
    }
}

type MakeValue = fn(&mut Rng) -> String;

/// Writes a sentence mentioning one or two values whose formats identify them.
fn free_text(rng: &mut Rng) -> Sample {
    let pieces: [(&str, MakeValue); 7] = [
        ("email", v::email),
        ("phone_number", |rng| v::phone(rng, false)),
        ("credit_card_visa", |rng| v::card_digits(rng, 0, true)),
        ("us_ssn", |rng| v::format_ssn(&v::ssn_digits(rng), "-")),
        ("ipv4_address", v::ipv4),
        ("iban", |rng| v::iban(rng, true)),
        ("street_address", |rng| v::street_address(rng, false)),
    ];
    let first = rng.usize(..pieces.len());
    let second = (first + 1 + rng.usize(..pieces.len() - 1)) % pieces.len();
    let (a_label, a_make) = pieces[first];
    let (b_label, b_make) = pieces[second];
    let (a, b) = (a_make(rng), b_make(rng));
    let value = match rng.u8(0..3) {
        0 => format!("Customer asked to update {a} and confirmed {b} by phone."),
        1 => format!("Escalated: {a} (see ticket) — also {b}"),
        _ => format!("{a}; {b}"),
    };
    let mut labels = vec![a_label, b_label];
    labels.dedup();
    Sample {
        keys: vec![pick(rng, TEXT_KEYS).to_string()],
        value,
        is_number: false,
        labels,
        kind: FieldKind::Positive,
        neutral_key: true,
    }
}
