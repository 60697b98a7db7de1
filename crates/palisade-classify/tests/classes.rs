//! Every built-in class against values that must match it and look-alikes that must not.

use palisade_classify::{Classifier, ClassifyConfig};
use palisade_core::Section;

fn classifier() -> Classifier {
    Classifier::new(&ClassifyConfig::default()).unwrap()
}

fn classes_of(classifier: &Classifier, path: &str, value: &str) -> Vec<String> {
    let mut found = Vec::new();
    classifier.classify(Section::RequestBody, path, value, &mut found);
    found.iter().map(|m| classifier.class(m.class).id.clone()).collect()
}

/// (class, field path, value): the class must be found.
const MUST_MATCH: &[(&str, &str, &str)] = &[
    ("email", "email", "ada.lovelace@example.com"),
    ("email", "note", "write to ops+alerts@mail.example.co.uk today"),
    ("email", "value", "J.Doe@Example.ORG"),
    ("phone_number", "phone", "+1 415 555 2671"),
    ("phone_number", "contact.phone.number", "(415) 555-2671"),
    ("phone_number", "mobile", "+44 7911 123456"),
    ("phone_number", "value", "+4930901820"),
    ("phone_number", "comment", "call me on +33 1 42 68 53 00 after six"),
    ("person_name", "first_name", "Ada"),
    ("person_name", "customer.name", "Grace Hopper"),
    ("person_name", "cardholderName", "José Álvarez-López"),
    ("street_address", "address", "221B Baker Street, London NW1 6XE"),
    ("street_address", "billing.address.line1", "1600 Amphitheatre Pkwy"),
    ("street_address", "note", "ship to 742 Evergreen Terrace please"),
    ("date_of_birth", "dob", "1985-03-07"),
    ("date_of_birth", "dateOfBirth", "07/03/1985"),
    ("date_of_birth", "birth_date", "March 7, 1985"),
    ("geo_coordinates", "value", "37.774929, -122.419416"),
    ("geo_coordinates", "location.lat", "37.7749"),
    ("geo_coordinates", "lng", "-122.4194"),
    ("geo_coordinates", "coordinates", "[48.8584, 2.2945]"),
    ("vin", "value", "1M8GDM9AXKP042788"),
    ("vin", "vin", "WVWZZZ1JZXW000001"),
    ("passport_number", "passport_number", "X12345678"),
    ("passport_number", "passport", "123456789"),
    ("drivers_license", "driver_license", "D1234567"),
    ("drivers_license", "driversLicenseNumber", "S530-4123-8123"),
    ("us_ssn", "value", "123-45-6789"),
    ("us_ssn", "ssn", "123456789"),
    ("us_ssn", "note", "SSN 123 45 6789 on file"),
    ("us_itin", "value", "912-70-1234"),
    ("us_itin", "itin", "912701234"),
    ("uk_nino", "value", "AB123456C"),
    ("uk_nino", "value", "AB 12 34 56 C"),
    ("ca_sin", "value", "130 456 783"),
    ("ca_sin", "sin", "130456783"),
    ("in_aadhaar", "value", "2345 6789 0124"),
    ("in_aadhaar", "aadhaar_number", "498765432102"),
    ("in_pan", "value", "ABCPE1234F"),
    ("br_cpf", "value", "529.982.247-25"),
    ("br_cpf", "cpf", "52998224725"),
    ("br_cnpj", "value", "11.222.333/0001-81"),
    ("br_cnpj", "cnpj", "11222333000181"),
    ("nl_bsn", "bsn", "111222333"),
    ("es_dni", "value", "12345678Z"),
    ("es_nie", "value", "X1234567L"),
    ("it_codice_fiscale", "value", "RSSMRA85T10A562S"),
    ("cn_resident_id", "value", "11010519491231002X"),
    ("se_personnummer", "value", "811218-9876"),
    ("se_personnummer", "personnummer", "198112189876"),
    ("fi_hetu", "value", "131052-308T"),
    ("pl_pesel", "pesel", "44051401359"),
    ("medical_record_number", "mrn", "MRN-00482913"),
    ("medical_record_number", "patient.medicalRecordNumber", "4829133"),
    ("us_npi", "npi", "1234567893"),
    ("credit_card_visa", "value", "4111111111111111"),
    ("credit_card_visa", "card", "4012 8888 8888 1881"),
    ("credit_card_mastercard", "value", "5555-5555-5555-4444"),
    ("credit_card_mastercard", "value", "2223003122003222"),
    ("credit_card_amex", "value", "3782 822463 10005"),
    ("credit_card_discover", "value", "6011111111111117"),
    ("credit_card_jcb", "value", "3530111333300000"),
    ("credit_card_diners", "value", "30569309025904"),
    ("credit_card_unionpay", "value", "6200000000000005"),
    ("card_security_code", "cvv", "123"),
    ("card_security_code", "card.cvc", "4567"),
    ("iban", "value", "GB82 WEST 1234 5698 7654 32"),
    ("iban", "value", "DE89370400440532013000"),
    ("iban", "note", "pay to NL91 ABNA 0417 1643 00 Thanks"),
    ("us_aba_routing", "routing_number", "021000021"),
    ("swift_bic", "swift", "DEUTDEFF500"),
    ("ipv4_address", "value", "203.0.113.42"),
    ("ipv4_address", "x-forwarded-for", "198.51.100.7, 10.0.0.1"),
    ("ipv6_address", "value", "2001:db8:85a3::8a2e:370:7334"),
    ("ipv6_address", "value", "fe80:0000:0000:0000:0202:b3ff:fe1e:8329"),
    ("mac_address", "value", "00:1A:2B:3C:4D:5E"),
    ("mac_address", "value", "00-1a-2b-3c-4d-5e"),
    ("aws_access_key_id", "value", "AKIAIOSFODNN7EXAMPLE"),
    ("aws_secret_access_key", "aws_secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("google_api_key", "value", "AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI"),
    ("github_token", "value", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
    (
        "github_token",
        "value",
        "github_pat_11ABCDEFG0123456789abc_0123456789abcdefghijABCDEFGHIJ0123456789abcdefghijABCDEFGHI",
    ),
    ("gitlab_token", "value", "glpat-xYz12AbCdEfGhIjKlMnO"),
    ("slack_token", "value", "xoxb-2048151234-4096231234-aBcDeFgHiJkLmNoPqRsTuVwX"),
    ("slack_webhook_url", "value", "https://hooks.slack.com/services/T0A1B2C3D/B0A1B2C3D/abcdefghijklmnopqrstuvwx"),
    ("stripe_secret_key", "value", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    ("stripe_secret_key", "value", "rk_live_51H8abcdefghijklmnopqrstuv"),
    ("stripe_publishable_key", "value", "pk_live_51H8abcdefghijklmnopqrstuv"),
    ("twilio_account_sid", "value", "AC0123456789abcdef0123456789abcdef"),
    ("twilio_api_key_sid", "value", "SK0123456789abcdef0123456789abcdef"),
    ("twilio_auth_token", "twilio_auth_token", "0123456789abcdef0123456789abcdef"),
    ("sendgrid_api_key", "value", "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"),
    ("npm_token", "value", "npm_abcdefghijklmnopqrstuvwxyz0123456789"),
    (
        "pypi_token",
        "value",
        "pypi-AgEIcHlwaS5vcmcCJGI1ZjM0YTk4LWQ5ZmQtNDc2NS1iYjk4LTk3ZjFlZTkzZDFjYQACKlszLCJmZjBmNjU5NyJdAAAGIDcfaLqd",
    ),
    (
        "jwt",
        "value",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    ),
    (
        "private_key",
        "value",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----",
    ),
    ("database_url", "value", "postgres://app:s3cr3t-pw@db.internal:5432/orders"),
    ("database_url", "value", "mongodb+srv://admin:hunter22@cluster0.example.net/test"),
    ("database_url", "config", "REDIS_URL=redis://default:Zm9vYmFy@cache:6379/0"),
    ("password", "password", "hunter2"),
    ("password", "new_password", "%&Q&Dvmk%"),
    ("password", "user.newPassword", "correct horse battery staple"),
    ("bearer_token", "authorization", "Bearer 3f9a7c2e1b8d4f6a9c0e2b4d6f8a1c3e"),
    ("bearer_token", "refresh_token", "def50200a1b2c3d4e5f60718293a4b5c6d7e8f90"),
    ("bearer_token", "access_token", "bMJhIAihIIozjbXZKPXHqvJH.hnIyecOQkmpKfEUv"),
    ("basic_auth", "authorization", "Basic YWxhZGRpbjpvcGVuc2VzYW1l"),
    ("api_key", "x-api-key", "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"),
    ("api_key", "client_secret", "7Fh2kLp9QzX4vB8nR3tW6yJ1"),
];

/// (class, field path, value): the class must not be found.
const MUST_NOT_MATCH: &[(&str, &str, &str)] = &[
    ("email", "value", "user@localhost"),
    ("email", "value", "@handle"),
    ("email", "dsn", "postgres://app:pw@db.example.com/x"),
    ("phone_number", "value", "4155552671"),
    ("phone_number", "phone", "12345"),
    ("phone_number", "phone", "+1 555"),
    ("phone_number", "order_id", "+12345678901234567"),
    ("person_name", "product.name", "Blue Widget"),
    ("person_name", "username", "jdoe42"),
    ("person_name", "file_name", "report"),
    ("person_name", "first_name", "null"),
    ("street_address", "email_address", "ada@example.com"),
    ("street_address", "ip_address", "10.0.0.1"),
    ("street_address", "address", "same as billing"),
    ("date_of_birth", "created_at", "1985-03-07"),
    ("date_of_birth", "dob", "not provided"),
    ("geo_coordinates", "price", "37.7749"),
    ("geo_coordinates", "value", "1.5, 2.5"),
    ("geo_coordinates", "lat", "91.5"),
    ("vin", "value", "1M8GDM9A1KP042788"),
    ("vin", "value", "12345678901234567"),
    ("passport_number", "passport_expiry", "2030-01-01"),
    ("passport_number", "value", "X12345678"),
    ("drivers_license", "value", "D1234567"),
    ("us_ssn", "value", "123456789"),
    ("us_ssn", "order_id", "123456789"),
    ("us_ssn", "value", "000-12-3456"),
    ("us_ssn", "value", "666-12-3456"),
    ("us_ssn", "value", "123-00-4567"),
    ("us_ssn", "value", "123-45-0000"),
    ("us_ssn", "ssn", "987654321"),
    ("us_ssn", "value", "2024-06-24"),
    ("us_itin", "value", "912-93-1234"),
    ("uk_nino", "value", "GB123456C"),
    ("uk_nino", "value", "AB123456E"),
    ("ca_sin", "value", "130 456 784"),
    ("ca_sin", "value", "130456783"),
    ("in_aadhaar", "value", "2345 6789 0125"),
    ("in_aadhaar", "value", "234567890124"),
    ("in_aadhaar", "value", "4111 1111 1111 1111"),
    ("in_pan", "value", "ABCDE12345"),
    ("br_cpf", "value", "529.982.247-26"),
    ("br_cpf", "value", "111.111.111-11"),
    ("br_cpf", "value", "52998224725"),
    ("br_cnpj", "value", "11.222.333/0001-82"),
    ("nl_bsn", "bsn", "111222334"),
    ("nl_bsn", "value", "111222333"),
    ("es_dni", "value", "12345678A"),
    ("es_nie", "value", "X1234567T"),
    ("it_codice_fiscale", "value", "RSSMRA85T10A562T"),
    ("cn_resident_id", "value", "110105194912310021"),
    ("cn_resident_id", "value", "110105194913310028"),
    ("se_personnummer", "value", "811218-9875"),
    ("se_personnummer", "value", "20240624-0001"),
    ("fi_hetu", "value", "131052-308U"),
    ("pl_pesel", "pesel", "44051401358"),
    ("pl_pesel", "value", "44051401359"),
    ("medical_record_number", "value", "MRN-00482913"),
    ("us_npi", "npi", "1234567894"),
    ("credit_card_visa", "value", "4111111111111112"),
    ("credit_card_visa", "value", "41111111111111110"),
    ("credit_card_visa", "tracking", "1Z999AA10123456784"),
    ("credit_card_mastercard", "value", "5555555555554440"),
    ("credit_card_amex", "value", "378282246310006"),
    ("credit_card_diners", "iban", "IE36 DSKN 3642 3228 6927 47"),
    ("fi_hetu", "card_number", "3056-170663-6888"),
    ("credit_card_discover", "value", "6011111111111118"),
    ("credit_card_jcb", "value", "3530111333300001"),
    ("credit_card_diners", "value", "30569309025905"),
    ("credit_card_unionpay", "value", "6200000000000006"),
    ("slack_webhook_url", "value", "https://hooks.slack.com/"),
    ("stripe_publishable_key", "value", "pk_test_short"),
    ("twilio_api_key_sid", "value", "SK0123456789ABCDEF0123456789ABCDEF"),
    ("npm_token", "value", "npm_short"),
    ("pypi_token", "value", "pypi-short"),
    ("gitlab_token", "value", "glpat"),
    ("card_security_code", "value", "123"),
    ("card_security_code", "cvv", "12a"),
    ("iban", "value", "GB82 WEST 1234 5698 7654 33"),
    ("iban", "value", "GB82WEST1234569876543"),
    ("us_aba_routing", "routing_number", "021000022"),
    ("us_aba_routing", "value", "021000021"),
    ("swift_bic", "value", "DEUTDEFF500"),
    ("ipv4_address", "value", "256.1.1.1"),
    ("ipv4_address", "value", "1.2.3.4.5"),
    ("ipv4_address", "app_version", "4.2.1.0"),
    ("ipv4_address", "value", "1.2.3"),
    ("ipv6_address", "value", "12:30:45"),
    ("ipv6_address", "value", "std::string"),
    ("ipv6_address", "value", "00:1A:2B:3C:4D:5E"),
    ("mac_address", "value", "12:30:45"),
    ("mac_address", "value", "00:00:00:00:00:00"),
    ("aws_access_key_id", "value", "AKIAIOSFODNN7EXAMPL"),
    ("aws_access_key_id", "value", "AIDAIOSFODNN7EXAMPLE"),
    ("aws_secret_access_key", "value", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("google_api_key", "value", "AIzaShort"),
    ("github_token", "value", "ghp_tooShort123"),
    ("gitlab_token", "value", "glpat-short"),
    ("slack_token", "value", "xoxb-notatoken"),
    ("stripe_secret_key", "value", "sk_live_short"),
    ("twilio_account_sid", "value", "AC0123456789abcdef"),
    ("twilio_auth_token", "value", "0123456789abcdef0123456789abcdef"),
    ("twilio_auth_token", "md5", "0123456789abcdef0123456789abcdef"),
    ("sendgrid_api_key", "value", "SG.short.short"),
    ("jwt", "value", "eyJub3Rqc29u.eyJzdWIiOiIxIn0.sig"),
    ("jwt", "value", "abc.def.ghi"),
    (
        "private_key",
        "value",
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHC\n-----END PUBLIC KEY-----",
    ),
    ("private_key", "value", "-----BEGIN PRIVATE KEY-----"),
    ("database_url", "value", "postgres://db.internal:5432/orders"),
    ("database_url", "value", "postgres://app:${DB_PASSWORD}@db:5432/orders"),
    ("password", "password", "********"),
    ("password", "password", "%DB_PASSWORD%"),
    ("password", "password_changed_at", "2024-06-24T07:35:56Z"),
    ("password", "passwordHint", "first pet"),
    ("password", "value", "hunter2"),
    ("bearer_token", "next_page_token", "CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA0"),
    ("bearer_token", "access_token", "short"),
    ("bearer_token", "token_type", "Bearer"),
    ("basic_auth", "authorization", "Basic bm90Y3JlZGVudGlhbHM="),
    ("api_key", "api_key_id", "key_01HZX3J7Q9"),
    ("api_key", "value", "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"),
];

/// Look-alikes under neutral keys that must not match any class.
const NOTHING_MATCHES: &[(&str, &str)] = &[
    ("order_id", "ORD-2024-000123"),
    ("id", "123456789"),
    ("created_at", "2024-06-24T07:35:56.522Z"),
    ("timestamp", "1719214556123"),
    ("version", "10.0.19045.3803"),
    ("version", "1.2.3-beta.4"),
    ("id", "3f0c1f9e-6b1d-4c4e-9a59-0c3f3a1e2b7d"),
    ("tracking_number", "1Z999AA10123456784"),
    ("tracking_number", "9400111899223197428490"),
    ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ("status", "active"),
    ("amount", "1234.56"),
    ("url", "https://example.com/api/v1/users?page=2"),
    ("description", "A plain sentence with nothing sensitive in it."),
    ("count", "42"),
];

#[test]
fn values_that_must_match() {
    let classifier = classifier();
    for &(class, path, value) in MUST_MATCH {
        let found = classes_of(&classifier, path, value);
        assert!(found.iter().any(|c| c == class), "{class} not found in {path}={value:?}: {found:?}");
    }
}

#[test]
fn look_alikes_that_must_not_match() {
    let classifier = classifier();
    for &(class, path, value) in MUST_NOT_MATCH {
        let found = classes_of(&classifier, path, value);
        assert!(!found.iter().any(|c| c == class), "{class} found in {path}={value:?}: {found:?}");
    }
}

#[test]
fn neutral_look_alikes_match_nothing() {
    let classifier = classifier();
    for &(path, value) in NOTHING_MATCHES {
        let found = classes_of(&classifier, path, value);
        assert!(found.is_empty(), "{path}={value:?} matched {found:?}");
    }
}

#[test]
fn every_builtin_class_has_a_positive_case() {
    let classifier = classifier();
    for info in classifier.classes() {
        assert!(MUST_MATCH.iter().any(|(c, _, _)| *c == info.id), "no positive case for {}", info.id);
        assert!(MUST_NOT_MATCH.iter().any(|(c, _, _)| *c == info.id), "no negative case for {}", info.id);
    }
}
