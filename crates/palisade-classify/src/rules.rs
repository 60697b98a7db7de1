//! Built-in detection rules.
//!
//! A [`ValueRule`] is a regex searched anywhere in a value plus a check that validates
//! each candidate (check digits, ranges, lengths) and names its class. A [`KeyRule`]
//! applies when the field's key names the data (`password`, `date_of_birth`) and checks
//! the whole value's shape. A bare nine-digit number or a name is ambiguous on its own, so
//! those classes need the key. Formatted values (`123-45-6789`) and values with their own
//! checks (card numbers, IBANs, prefixed tokens) do not.

use std::net::{Ipv4Addr, Ipv6Addr};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use phonenumber::country;

use crate::builtin::Builtin;
use crate::check::{self, CardBrand};
use crate::key;

/// Result of a check: the class and the span, which may differ from the regex match (a PEM
/// block extends to its END line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    pub class: Builtin,
    pub start: usize,
    pub end: usize,
}

/// Inputs of a check.
pub(crate) struct Candidate<'a> {
    /// The whole value.
    pub value: &'a str,
    pub start: usize,
    pub end: usize,
    /// Key hints of the field.
    pub hints: u64,
    pub phone_regions: &'a [country::Id],
}

impl Candidate<'_> {
    fn text(&self) -> &str {
        &self.value[self.start..self.end]
    }

    fn found(&self, class: Builtin) -> Option<Found> {
        Some(Found { class, start: self.start, end: self.end })
    }

    /// [`Candidate::found`] when `valid`.
    fn found_if(&self, valid: bool, class: Builtin) -> Option<Found> {
        if valid { self.found(class) } else { None }
    }

    fn byte_before(&self) -> Option<u8> {
        self.start.checked_sub(1).map(|i| self.value.as_bytes()[i])
    }

    fn byte_after(&self) -> Option<u8> {
        self.value.as_bytes().get(self.end).copied()
    }
}

pub(crate) type CheckFn = fn(&Candidate<'_>) -> Option<Found>;

pub(crate) struct ValueRule {
    pub pattern: &'static str,
    pub check: CheckFn,
    /// Key hints that turn the rule off.
    pub vetoed_by: u64,
    /// Classes the check can return, to skip rules whose classes are all disabled.
    pub classes: &'static [Builtin],
    /// Cheap necessary condition on the value's [`Features`], checked before the
    /// pattern is searched, so most values never reach most patterns.
    pub gate: fn(&Features) -> bool,
    /// Literals of which one must occur (ASCII case-insensitive); no condition when empty.
    pub literals: &'static [&'static str],
}

impl ValueRule {
    /// Length of the shortest literal, below which the literal scan is skipped.
    pub fn min_literal_len(&self) -> u32 {
        self.literals.iter().map(|l| l.len() as u32).min().unwrap_or(0)
    }
}

/// Byte statistics of a value, gathered in one pass.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Features {
    pub len: u32,
    pub digits: u32,
    pub upper: u32,
    /// Bit `n` is set when a run of exactly `n` digits occurs (runs of 31 or more set
    /// bit 31).
    pub digit_runs: u32,
    /// Runs of exactly three digits.
    pub three_digit_runs: u32,
    /// Runs of exactly four digits.
    pub four_digit_runs: u32,
    pub max_digit_run: u32,
    /// Length of the longest run of ASCII letters and digits.
    pub max_alnum_run: u32,
    /// Runs of exactly four letters or digits.
    pub four_alnum_runs: u32,
    /// Runs of letters and digits that start with two upper-case letters and two digits,
    /// as IBANs do.
    pub iban_like_starts: u32,
    /// Upper-case letters right after a space, as in `12 Baker Street`.
    pub capitals_after_space: u32,
    pub colons: u32,
    pub dashes: u32,
    pub dots: u32,
    /// Bit `b` is set when ASCII byte `b` occurs.
    pub present: u128,
}

impl Features {
    pub fn of(value: &str) -> Self {
        let mut f = Features { len: value.len().min(u32::MAX as usize) as u32, ..Features::default() };
        let mut digit_run = 0u32;
        let mut alnum_run = 0u32;
        // Leading bytes of the current alnum run that have the shape `AA00`.
        let mut iban_prefix = 0u32;
        let mut previous = 0u8;
        for &b in value.as_bytes() {
            f.capitals_after_space += u32::from(previous == b' ' && b.is_ascii_uppercase());
            previous = b;
            if b < 0x80 {
                f.present |= 1u128 << b;
            }
            if b.is_ascii_digit() {
                f.digits += 1;
                digit_run += 1;
            } else {
                f.end_digit_run(digit_run);
                digit_run = 0;
            }
            if b.is_ascii_alphanumeric() {
                let fits = if alnum_run < 2 { b.is_ascii_uppercase() } else { b.is_ascii_digit() };
                if iban_prefix == alnum_run && alnum_run < 4 && fits {
                    iban_prefix += 1;
                    f.iban_like_starts += u32::from(iban_prefix == 4);
                }
                alnum_run += 1;
                f.upper += u32::from(b.is_ascii_uppercase());
            } else {
                f.end_alnum_run(alnum_run);
                alnum_run = 0;
                iban_prefix = 0;
                match b {
                    b':' => f.colons += 1,
                    b'-' => f.dashes += 1,
                    b'.' => f.dots += 1,
                    _ => {}
                }
            }
        }
        f.end_digit_run(digit_run);
        f.end_alnum_run(alnum_run);
        f
    }

    fn end_digit_run(&mut self, run: u32) {
        if run > 0 {
            self.digit_runs |= 1 << run.min(31);
            self.three_digit_runs += u32::from(run == 3);
            self.four_digit_runs += u32::from(run == 4);
            self.max_digit_run = self.max_digit_run.max(run);
        }
    }

    fn end_alnum_run(&mut self, run: u32) {
        self.four_alnum_runs += u32::from(run == 4);
        self.max_alnum_run = self.max_alnum_run.max(run);
    }

    pub fn has(&self, byte: u8) -> bool {
        byte < 0x80 && self.present & (1u128 << byte) != 0
    }

    /// Returns true when a run of exactly `n` digits occurs.
    pub fn run(&self, n: u32) -> bool {
        self.digit_runs & (1 << n.min(31)) != 0
    }
}

pub(crate) struct KeyRule {
    /// Key hints of which one must be present.
    pub needs: u64,
    /// Checks the trimmed value; the span is the whole value.
    pub check: fn(&str, &Candidate<'_>) -> Option<Builtin>,
    pub classes: &'static [Builtin],
}

const CARD_CLASSES: &[Builtin] = &[
    Builtin::CardVisa,
    Builtin::CardMastercard,
    Builtin::CardAmex,
    Builtin::CardDiscover,
    Builtin::CardJcb,
    Builtin::CardDiners,
    Builtin::CardUnionPay,
];

macro_rules! rule {
    ($pattern:expr, $check:expr, [$($class:ident),+], $gate:expr) => {
        ValueRule {
            pattern: $pattern,
            check: $check,
            vetoed_by: 0,
            classes: &[$(Builtin::$class),+],
            gate: $gate,
            literals: &[],
        }
    };
    ($pattern:expr, $check:expr, [$($class:ident),+], $gate:expr, literals $literals:expr) => {
        ValueRule {
            pattern: $pattern,
            check: $check,
            vetoed_by: 0,
            classes: &[$(Builtin::$class),+],
            gate: $gate,
            literals: $literals,
        }
    };
    ($pattern:expr, $check:expr, [$($class:ident),+], $gate:expr, vetoed_by $veto:expr) => {
        ValueRule {
            pattern: $pattern,
            check: $check,
            vetoed_by: $veto,
            classes: &[$(Builtin::$class),+],
            gate: $gate,
            literals: &[],
        }
    };
}

pub(crate) fn value_rules() -> Vec<ValueRule> {
    vec![
        rule!(
            r"[A-Za-z0-9._%+\-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?-u:\b)",
            check_email,
            [Email],
            |f| f.has(b'@') && f.len >= 6
        ),
        rule!(r"\+[1-9][0-9 ().\-]{6,20}[0-9]", check_phone_international, [Phone], |f| f.has(b'+') && f.digits >= 8),
        rule!(
            r"(?-u:\b)(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?-u:\b)",
            check_ipv4,
            [Ipv4],
            |f| f.dots >= 3 && f.digits >= 4,
            vetoed_by key::VERSION
        ),
        rule!(
            r"(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:[0-9]{1,3}\.){3}[0-9]{1,3})?(?:%[0-9A-Za-z]{1,16})?",
            check_ipv6,
            [Ipv6],
            |f| f.colons >= 2
        ),
        rule!(
            r"(?-u:\b)(?:[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?-u:\b)",
            check_mac,
            [Mac],
            // The dotted form is three runs of exactly four hex digits.
            |f| f.len >= 14 && (f.colons >= 5 || f.dashes >= 5 || (f.dots >= 2 && f.four_alnum_runs >= 3)),
            vetoed_by key::VERSION
        ),
        rule!(
            r"-?[0-9]{1,2}\.[0-9]{3,15} ?, ?-?[0-9]{1,3}\.[0-9]{3,15}",
            check_coordinate_pair,
            [GeoCoordinates],
            |f| f.has(b',') && f.dots >= 2 && f.digits >= 8
        ),
        rule!(
            r"(?-u:\b)(?:[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{3} [0-9]{2} [0-9]{4})(?-u:\b)",
            check_us_tax_id,
            [UsSsn, UsItin],
            |f| f.run(3) && f.run(2) && f.four_digit_runs >= 1
        ),
        // The compact form is one run of nine letters and digits.
        rule!(r"(?-u:\b)[A-Z]{2}(?:[0-9]{6}| [0-9]{2} [0-9]{2} [0-9]{2} )[A-D](?-u:\b)", check_nino, [UkNino], |f| f
            .upper
            >= 3
            && ((f.run(6) && f.max_alnum_run >= 9) || (f.run(2) && f.has(b' ')))),
        rule!(r"(?-u:\b)[0-9]{3}[ \-][0-9]{3}[ \-][0-9]{3}(?-u:\b)", check_sin, [CaSin], |f| f.three_digit_runs >= 3
            && (f.has(b' ') || f.dashes >= 2)),
        rule!(r"(?-u:\b)[2-9][0-9]{3}[ \-][0-9]{4}[ \-][0-9]{4}(?-u:\b)", check_aadhaar, [InAadhaar], |f| f
            .four_digit_runs
            >= 3),
        rule!(r"(?-u:\b)[A-Z]{3}[ABCEFGHJKLPT][A-Z][0-9]{4}[A-Z](?-u:\b)", check_pan, [InPan], |f| f.upper >= 6
            && f.run(4)
            && f.max_alnum_run >= 10),
        rule!(r"(?-u:\b)[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}(?-u:\b)", check_cpf, [BrCpf], |f| f.three_digit_runs
            >= 3
            && f.run(2)
            && f.dots >= 2
            && f.dashes >= 1),
        rule!(r"(?-u:\b)[0-9]{2}\.[0-9]{3}\.[0-9]{3}/[0-9]{4}-[0-9]{2}(?-u:\b)", check_cnpj, [BrCnpj], |f| f.has(b'/')
            && f.four_digit_runs >= 1
            && f.dots >= 2),
        rule!(r"(?-u:\b)[0-9]{8}-?[A-Z](?-u:\b)", check_dni, [EsDni], |f| f.run(8) && f.upper >= 1),
        rule!(r"(?-u:\b)[XYZ]-?[0-9]{7}-?[A-Z](?-u:\b)", check_nie, [EsNie], |f| f.run(7) && f.upper >= 2),
        rule!(
            r"(?-u:\b)[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z](?-u:\b)",
            check_codice_fiscale,
            [ItCodiceFiscale],
            |f| f.max_alnum_run >= 16 && f.upper >= 9
        ),
        rule!(r"(?-u:\b)[1-8][0-9]{16}[0-9Xx](?-u:\b)", check_cn_resident_id, [CnResidentId], |f| f.max_digit_run
            >= 17),
        rule!(r"(?-u:\b)[0-9]{6}[\-+][0-9]{4}(?-u:\b)", check_personnummer, [SePersonnummer], |f| f.run(6)
            && f.four_digit_runs >= 1),
        rule!(r"(?-u:\b)[0-9]{6}[\-+A-FU-Y][0-9]{3}[0-9A-Y](?-u:\b)", check_hetu, [FiHetu], |f| f.run(6)
            && (f.run(3) || f.run(4))),
        rule!(r"(?-u:\b)[A-HJ-NPR-Z0-9]{17}(?-u:\b)", check_vin, [Vin], |f| f.max_alnum_run >= 17 && f.upper >= 2),
        ValueRule {
            pattern: r"(?-u:\b)(?:[0-9]{4}[ \-][0-9]{4}[ \-][0-9]{4}[ \-][0-9]{1,4}(?:[ \-][0-9]{1,3})?|[0-9]{4}[ \-][0-9]{6}[ \-][0-9]{4,5}|[0-9]{13,19})(?-u:\b)",
            check: check_card,
            vetoed_by: 0,
            classes: CARD_CLASSES,
            gate: |f| f.max_digit_run >= 13 || f.four_digit_runs >= 3 || f.run(6),
            literals: &[],
        },
        rule!(
            r"(?-u:\b)[A-Z]{2}[0-9]{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?)(?-u:\b)",
            check_iban,
            [Iban],
            |f| f.iban_like_starts >= 1 && (f.max_alnum_run >= 15 || f.four_alnum_runs >= 3)
        ),
        rule!(
            r"(?-u:\b)[0-9]{1,6}[A-Za-z]?(?: [A-Z][a-z]+\.?){1,4} (?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Terrace|Way|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Square|Sq)(?-u:\b)",
            accept_street,
            [StreetAddress],
            // One or more capitalised words, then the capitalised street type.
            |f| f.capitals_after_space >= 2 && f.digits >= 1
        ),
        rule!(
            r"(?-u:\b)(?:AKIA|ASIA)[A-Z2-7]{16}(?-u:\b)",
            accept_aws_key_id,
            [AwsAccessKeyId],
            |f| f.len >= 20,
            literals & ["AKIA", "ASIA"]
        ),
        rule!(
            r"(?-u:\b)AIza[0-9A-Za-z_\-]{35}",
            check_google_api_key,
            [GoogleApiKey],
            |f| f.len >= 39,
            literals & ["AIza"]
        ),
        rule!(
            r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?-u:\b)",
            accept_github,
            [GithubToken],
            |f| f.len >= 40,
            literals & ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"]
        ),
        rule!(
            r"(?-u:\b)gl(?:pat|dt|rt|ptt|oas|cbt|imt|soat|ft|agent)-[0-9A-Za-z_\-]{20,64}",
            check_gitlab,
            [GitlabToken],
            |f| f.len >= 24,
            literals
                & ["glpat-", "gldt-", "glrt-", "glptt-", "gloas-", "glcbt-", "glimt-", "glsoat-", "glft-", "glagent-"]
        ),
        rule!(
            r"(?-u:\b)(?:xox[abposre]|xapp)-[0-9A-Za-z\-]{10,250}",
            check_slack_token,
            [SlackToken],
            |f| f.len >= 20,
            literals & ["xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-", "xoxe-", "xapp-"]
        ),
        rule!(
            r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/\-]{20,200}",
            accept_slack_webhook,
            [SlackWebhook],
            |f| f.len >= 40,
            literals & ["hooks.slack.com"]
        ),
        rule!(
            r"(?-u:\b)(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{20,247}(?-u:\b)",
            check_stripe,
            [StripeSecretKey, StripePublishableKey],
            |f| f.len >= 28,
            literals & ["_live_", "_test_"]
        ),
        rule!(r"(?-u:\b)(?:AC|SK)[0-9a-f]{32}(?-u:\b)", check_twilio_sid, [TwilioAccountSid, TwilioApiKeySid], |f| f
            .max_alnum_run
            >= 34),
        rule!(
            r"(?-u:\b)SG\.[0-9A-Za-z_\-]{22}\.[0-9A-Za-z_\-]{43}",
            check_sendgrid,
            [SendgridApiKey],
            |f| f.len >= 69,
            literals & ["SG."]
        ),
        rule!(r"(?-u:\b)npm_[A-Za-z0-9]{36}(?-u:\b)", accept_npm, [NpmToken], |f| f.len >= 40, literals & ["npm_"]),
        rule!(
            r"(?-u:\b)pypi-AgEIcHlwaS5vcmc[0-9A-Za-z_\-]{50,}",
            accept_pypi,
            [PypiToken],
            |f| f.len >= 70,
            literals & ["pypi-AgEIcHlwaS5vcmc"]
        ),
        rule!(
            r"(?-u:\b)eyJ[0-9A-Za-z_\-]{5,}\.[0-9A-Za-z_\-]{2,}\.[0-9A-Za-z_\-]*",
            check_jwt,
            [Jwt],
            |f| f.len >= 12,
            literals & ["eyJ"]
        ),
        rule!(
            r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----",
            check_private_key,
            [PrivateKey],
            |f| f.len >= 27,
            literals & ["-----BEGIN "]
        ),
        rule!(
            r#"(?-u:\b)(?:jdbc:)?(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|oracle|cockroachdb|clickhouse)://[^\s:/@"']{1,256}:[^\s@/"']{1,256}@[^\s/:"'?#]{1,256}"#,
            check_database_url,
            [DatabaseUrl],
            |f| f.len >= 12,
            literals & ["://"]
        ),
        rule!(
            r"(?i:bearer)[ \t]+[A-Za-z0-9\-._~+/]{16,}=*",
            check_bearer,
            [BearerToken],
            |f| f.len >= 23,
            literals & ["bearer "]
        ),
        rule!(
            r"(?i:basic)[ \t]+[A-Za-z0-9+/]{4,}={0,2}",
            check_basic_auth,
            [BasicAuth],
            |f| f.len >= 10,
            literals & ["basic "]
        ),
    ]
}

pub(crate) fn key_rules() -> Vec<KeyRule> {
    vec![
        KeyRule { needs: key::PHONE, check: key_phone, classes: &[Builtin::Phone] },
        KeyRule { needs: key::SSN | key::ITIN, check: key_us_tax_id, classes: &[Builtin::UsSsn, Builtin::UsItin] },
        KeyRule { needs: key::SIN, check: key_sin, classes: &[Builtin::CaSin] },
        KeyRule { needs: key::AADHAAR, check: key_aadhaar, classes: &[Builtin::InAadhaar] },
        KeyRule { needs: key::CPF, check: key_cpf, classes: &[Builtin::BrCpf] },
        KeyRule { needs: key::CNPJ, check: key_cnpj, classes: &[Builtin::BrCnpj] },
        KeyRule { needs: key::BSN, check: key_bsn, classes: &[Builtin::NlBsn] },
        KeyRule { needs: key::PESEL, check: key_pesel, classes: &[Builtin::PlPesel] },
        KeyRule { needs: key::PERSONNUMMER, check: key_personnummer, classes: &[Builtin::SePersonnummer] },
        KeyRule { needs: key::VIN, check: key_vin, classes: &[Builtin::Vin] },
        KeyRule { needs: key::PASSPORT, check: key_passport, classes: &[Builtin::Passport] },
        KeyRule { needs: key::DRIVERS_LICENSE, check: key_drivers_license, classes: &[Builtin::DriversLicense] },
        KeyRule { needs: key::MRN, check: key_medical_record, classes: &[Builtin::MedicalRecord] },
        KeyRule { needs: key::NPI, check: key_npi, classes: &[Builtin::UsNpi] },
        KeyRule { needs: key::DOB, check: key_date_of_birth, classes: &[Builtin::DateOfBirth] },
        KeyRule { needs: key::ADDRESS, check: key_street_address, classes: &[Builtin::StreetAddress] },
        KeyRule { needs: key::NAME | key::NAME_ALONE, check: key_person_name, classes: &[Builtin::PersonName] },
        KeyRule {
            needs: key::LATITUDE | key::LONGITUDE | key::COORDINATES,
            check: key_coordinates,
            classes: &[Builtin::GeoCoordinates],
        },
        KeyRule { needs: key::CVV, check: key_card_security_code, classes: &[Builtin::CardSecurityCode] },
        KeyRule { needs: key::ROUTING, check: key_aba_routing, classes: &[Builtin::AbaRouting] },
        KeyRule { needs: key::SWIFT, check: key_swift_bic, classes: &[Builtin::SwiftBic] },
        KeyRule { needs: key::AWS_SECRET, check: key_aws_secret, classes: &[Builtin::AwsSecretKey] },
        KeyRule { needs: key::TWILIO, check: key_twilio_auth_token, classes: &[Builtin::TwilioAuthToken] },
        KeyRule { needs: key::PASSWORD, check: key_password, classes: &[Builtin::Password] },
        KeyRule { needs: key::TOKEN, check: key_token, classes: &[Builtin::BearerToken, Builtin::BasicAuth] },
        KeyRule { needs: key::API_KEY, check: key_api_key, classes: &[Builtin::ApiKey] },
    ]
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// True when the digits in `start..end` are not part of a longer run of digit groups:
/// no digit, or separator and digit, right before or after.
fn digits_isolated(c: &Candidate<'_>) -> bool {
    let bytes = c.value.as_bytes();
    let joined = |a: Option<&u8>, b: Option<&u8>| match (a, b) {
        (Some(x), _) if x.is_ascii_alphanumeric() => true,
        (Some(b' ' | b'-' | b'.' | b'/'), Some(y)) => y.is_ascii_digit(),
        _ => false,
    };
    let before =
        joined(c.start.checked_sub(1).and_then(|i| bytes.get(i)), c.start.checked_sub(2).and_then(|i| bytes.get(i)));
    let after = joined(bytes.get(c.end), bytes.get(c.end + 1));
    !before && !after
}

/// True when every separator between the digits in `text` is the same byte.
fn one_separator(text: &str) -> bool {
    let mut separators = text.bytes().filter(|b| !b.is_ascii_alphanumeric());
    match separators.next() {
        Some(first) => separators.all(|b| b == first),
        None => true,
    }
}

fn strip_separators(text: &str) -> String {
    text.chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

fn check_email(c: &Candidate<'_>) -> Option<Found> {
    let text = c.text();
    let at = text.find('@')?;
    let (local, domain) = (&text[..at], &text[at + 1..]);
    if local.len() > 64 || domain.len() > 253 || local.starts_with('.') || local.ends_with('.') || local.contains("..")
    {
        return None;
    }
    if domain.split('.').any(|label| label.len() > 63) {
        return None;
    }
    // `scheme://user:password@host` contains credentials, not an email address.
    let token_start = c.value[..c.start].rfind(|ch: char| ch.is_whitespace() || "\"'<>,;(".contains(ch));
    let token = &c.value[token_start.map_or(0, |i| i + 1)..c.start];
    if token.contains("://") || token.ends_with(':') {
        return None;
    }
    c.found(Builtin::Email)
}

fn parse_phone(text: &str, regions: &[country::Id]) -> bool {
    let digits = text.bytes().filter(u8::is_ascii_digit).count();
    if !(7..=15).contains(&digits) {
        return false;
    }
    // Numbers with a country code do not depend on the regions.
    let international = text.starts_with("00") || text.starts_with('+');
    let regions = if international { &[][..] } else { regions };
    PHONE_CACHE.with(|cache| cache.borrow_mut().lookup(text, regions)).unwrap_or_else(|| {
        let valid = validate_phone(text, regions);
        PHONE_CACHE.with(|cache| cache.borrow_mut().insert(valid));
        valid
    })
}

/// Validates against the phone number metadata; [`parse_phone`] has checked the digit count.
fn validate_phone(text: &str, regions: &[country::Id]) -> bool {
    if let Some(international) = text.strip_prefix("00") {
        return phonenumber::parse(None, format!("+{international}")).is_ok_and(|n| phonenumber::is_valid(&n));
    }
    if text.starts_with('+') {
        return phonenumber::parse(None, text).is_ok_and(|n| phonenumber::is_valid(&n));
    }
    regions.iter().any(|&region| phonenumber::parse(Some(region), text).is_ok_and(|n| phonenumber::is_valid(&n)))
}

/// Results remembered per thread, roughly 2 MB at most.
const PHONE_CACHE_ENTRIES: usize = 16_384;
/// Longer texts are validated every time, so the cache stays small.
const PHONE_CACHE_MAX_BYTES: usize = 48;

thread_local! {
    static PHONE_CACHE: std::cell::RefCell<PhoneCache> = std::cell::RefCell::new(PhoneCache::default());
}

/// Results of [`validate_phone`] by regions and text. Validation with the metadata takes
/// about 11 µs per number in the ingest benchmark. A value often reaches it several times:
/// under a phone key and as an international number, again when a sample is redacted, and
/// in later traces.
#[derive(Default)]
struct PhoneCache {
    /// Key of the last lookup: the region codes, `|`, then the text. A miss leaves it for
    /// [`PhoneCache::insert`].
    key: String,
    /// Keyed with the standard library's random hasher, as the texts come from traffic.
    results: std::collections::HashMap<Box<str>, bool>,
}

impl PhoneCache {
    fn lookup(&mut self, text: &str, regions: &[country::Id]) -> Option<bool> {
        self.key.clear();
        if text.len() > PHONE_CACHE_MAX_BYTES {
            return None;
        }
        for region in regions {
            self.key.push_str(region.as_ref());
        }
        self.key.push('|');
        self.key.push_str(text);
        self.results.get(self.key.as_str()).copied()
    }

    /// Records the result for the key of the last lookup that missed.
    fn insert(&mut self, valid: bool) {
        if self.key.is_empty() {
            return;
        }
        if self.results.len() >= PHONE_CACHE_ENTRIES {
            self.results.clear();
        }
        self.results.insert(self.key.as_str().into(), valid);
        self.key.clear();
    }
}

fn check_phone_international(c: &Candidate<'_>) -> Option<Found> {
    if c.byte_before().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'+')
        || c.byte_after().is_some_and(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits = c.text().bytes().filter(u8::is_ascii_digit).count();
    if !(8..=15).contains(&digits) {
        return None;
    }
    c.found_if(parse_phone(c.text(), &[]), Builtin::Phone)
}

fn check_ipv4(c: &Candidate<'_>) -> Option<Found> {
    // `1.2.3.4.5` and `v1.2.3.4` are versions.
    let dotted_before = c.byte_before() == Some(b'.');
    let dotted_after =
        c.byte_after() == Some(b'.') && c.value.as_bytes().get(c.end + 1).is_some_and(u8::is_ascii_digit);
    if dotted_before || dotted_after {
        return None;
    }
    c.text().parse::<Ipv4Addr>().ok()?;
    c.found(Builtin::Ipv4)
}

fn check_ipv6(c: &Candidate<'_>) -> Option<Found> {
    let hexish = |b: u8| b.is_ascii_alphanumeric() || b == b':' || b == b'.';
    if c.byte_before().is_some_and(hexish) || c.byte_after().is_some_and(|b| b.is_ascii_alphanumeric() || b == b':') {
        return None;
    }
    let text = c.text();
    let address = text.split('%').next().unwrap_or(text);
    let hex_digits = address.bytes().filter(u8::is_ascii_hexdigit).count();
    let full_form = address.bytes().filter(|&b| b == b':').count() == 7;
    if hex_digits == 0 || !(address.contains("::") || full_form) {
        return None;
    }
    address.parse::<Ipv6Addr>().ok()?;
    c.found(Builtin::Ipv6)
}

fn check_mac(c: &Candidate<'_>) -> Option<Found> {
    let continues = |b: Option<u8>| matches!(b, Some(b':' | b'-' | b'.'));
    let bytes = c.value.as_bytes();
    let hex_after_separator = continues(c.byte_after()) && bytes.get(c.end + 1).is_some_and(u8::is_ascii_hexdigit);
    if continues(c.byte_before()) || hex_after_separator {
        return None;
    }
    if c.text().bytes().all(|b| b == b'0' || !b.is_ascii_hexdigit()) {
        return None;
    }
    c.found(Builtin::Mac)
}

fn parse_coordinate_pair(text: &str) -> Option<(f64, f64)> {
    let inner = text.trim().trim_start_matches(['[', '(']).trim_end_matches([']', ')']);
    let (lat, lon) = inner.split_once(',').or_else(|| inner.split_once(' '))?;
    Some((lat.trim().parse().ok()?, lon.trim().parse().ok()?))
}

fn coordinates_in_range(lat: f64, lon: f64) -> bool {
    (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) && !(lat == 0.0 && lon == 0.0)
}

fn check_coordinate_pair(c: &Candidate<'_>) -> Option<Found> {
    let glued = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    if glued(c.byte_before()) || glued(c.byte_after()) {
        return None;
    }
    let (lat, lon) = parse_coordinate_pair(c.text())?;
    c.found_if(coordinates_in_range(lat, lon), Builtin::GeoCoordinates)
}

fn us_tax_id_class(digits: &[u8]) -> Option<Builtin> {
    if check::is_itin(digits) {
        Some(Builtin::UsItin)
    } else if check::is_ssn(digits) {
        Some(Builtin::UsSsn)
    } else {
        None
    }
}

fn check_us_tax_id(c: &Candidate<'_>) -> Option<Found> {
    if !digits_isolated(c) {
        return None;
    }
    let digits = check::digits(&strip_separators(c.text()))?;
    c.found(us_tax_id_class(&digits)?)
}

fn check_nino(c: &Candidate<'_>) -> Option<Found> {
    c.found_if(check::is_nino(&strip_separators(c.text())), Builtin::UkNino)
}

fn check_sin(c: &Candidate<'_>) -> Option<Found> {
    if !digits_isolated(c) || !one_separator(c.text()) {
        return None;
    }
    let digits = check::digits(&strip_separators(c.text()))?;
    c.found_if(check::is_sin(&digits), Builtin::CaSin)
}

fn check_aadhaar(c: &Candidate<'_>) -> Option<Found> {
    if !digits_isolated(c) || !one_separator(c.text()) {
        return None;
    }
    let digits = check::digits(&strip_separators(c.text()))?;
    c.found_if(check::is_aadhaar(&digits), Builtin::InAadhaar)
}

fn check_pan(c: &Candidate<'_>) -> Option<Found> {
    c.found(Builtin::InPan)
}

fn check_cpf(c: &Candidate<'_>) -> Option<Found> {
    let digits = check::digits(&strip_separators(c.text()))?;
    c.found_if(check::is_cpf(&digits), Builtin::BrCpf)
}

fn check_cnpj(c: &Candidate<'_>) -> Option<Found> {
    let digits = check::digits(&strip_separators(c.text()))?;
    c.found_if(check::is_cnpj(&digits), Builtin::BrCnpj)
}

fn check_dni(c: &Candidate<'_>) -> Option<Found> {
    c.found_if(check::is_dni(&strip_separators(c.text())), Builtin::EsDni)
}

fn check_nie(c: &Candidate<'_>) -> Option<Found> {
    c.found_if(check::is_nie(&strip_separators(c.text())), Builtin::EsNie)
}

fn check_codice_fiscale(c: &Candidate<'_>) -> Option<Found> {
    c.found_if(check::is_codice_fiscale(c.text()), Builtin::ItCodiceFiscale)
}

fn check_cn_resident_id(c: &Candidate<'_>) -> Option<Found> {
    c.found_if(check::is_cn_resident_id(c.text()), Builtin::CnResidentId)
}

fn check_personnummer(c: &Candidate<'_>) -> Option<Found> {
    if !digits_isolated(c) {
        return None;
    }
    let digits = check::digits(&strip_separators(c.text()))?;
    c.found_if(check::is_personnummer(&digits), Builtin::SePersonnummer)
}

fn check_hetu(c: &Candidate<'_>) -> Option<Found> {
    if !digits_isolated(c) {
        return None;
    }
    c.found_if(check::is_hetu(c.text()), Builtin::FiHetu)
}

fn check_vin(c: &Candidate<'_>) -> Option<Found> {
    let text = c.text();
    c.found_if(check::is_vin_shape(text) && check::is_vin(text), Builtin::Vin)
}

/// True when the candidate continues a grouped IBAN-like string such as
/// `IE36 DSKN 3642 ...`: only four-character groups lead back to a country code and
/// check digits.
fn after_iban_prefix(c: &Candidate<'_>) -> bool {
    let before = &c.value[..c.start];
    let Some(before) = before.strip_suffix(' ') else {
        return false;
    };
    for group in before.rsplit(' ') {
        let b = group.as_bytes();
        let country_and_check =
            b.len() == 4 && b[..2].iter().all(u8::is_ascii_uppercase) && b[2..].iter().all(u8::is_ascii_digit);
        if country_and_check {
            return true;
        }
        if b.len() != 4 || !b.iter().all(|x| x.is_ascii_uppercase() || x.is_ascii_digit()) {
            return false;
        }
    }
    false
}

fn card_class(brand: CardBrand) -> Builtin {
    match brand {
        CardBrand::Visa => Builtin::CardVisa,
        CardBrand::Mastercard => Builtin::CardMastercard,
        CardBrand::Amex => Builtin::CardAmex,
        CardBrand::Discover => Builtin::CardDiscover,
        CardBrand::Jcb => Builtin::CardJcb,
        CardBrand::Diners => Builtin::CardDiners,
        CardBrand::UnionPay => Builtin::CardUnionPay,
    }
}

fn check_card(c: &Candidate<'_>) -> Option<Found> {
    if !digits_isolated(c) || !one_separator(c.text()) || after_iban_prefix(c) {
        return None;
    }
    let digits = check::digits(&strip_separators(c.text()))?;
    let brand = check::card_brand(&digits)?;
    c.found_if(check::luhn(&digits), card_class(brand))
}

fn check_iban(c: &Candidate<'_>) -> Option<Found> {
    // A grouped IBAN followed by a four-letter word takes the word as a group: drop
    // trailing groups until the check passes.
    let mut end = c.end;
    loop {
        let text = &c.value[c.start..end];
        if check::is_iban(&strip_separators(text)) {
            return Some(Found { class: Builtin::Iban, start: c.start, end });
        }
        end = c.start + text.rfind(' ')?;
    }
}

fn accept_street(c: &Candidate<'_>) -> Option<Found> {
    c.found(Builtin::StreetAddress)
}

fn accept_aws_key_id(c: &Candidate<'_>) -> Option<Found> {
    c.found(Builtin::AwsAccessKeyId)
}

fn is_url_safe_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn check_google_api_key(c: &Candidate<'_>) -> Option<Found> {
    if c.byte_after().is_some_and(is_url_safe_byte) {
        return None;
    }
    c.found(Builtin::GoogleApiKey)
}

fn accept_github(c: &Candidate<'_>) -> Option<Found> {
    c.found(Builtin::GithubToken)
}

fn check_gitlab(c: &Candidate<'_>) -> Option<Found> {
    if c.byte_after().is_some_and(is_url_safe_byte) {
        return None;
    }
    c.found(Builtin::GitlabToken)
}

fn check_slack_token(c: &Candidate<'_>) -> Option<Found> {
    let text = c.text();
    let parts = text.split('-').filter(|p| !p.is_empty()).count();
    let has_digits = text.split('-').skip(1).any(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    c.found_if(parts >= 3 && has_digits && text.len() >= 20, Builtin::SlackToken)
}

fn accept_slack_webhook(c: &Candidate<'_>) -> Option<Found> {
    c.found(Builtin::SlackWebhook)
}

fn check_stripe(c: &Candidate<'_>) -> Option<Found> {
    let class = if c.text().starts_with("pk_") { Builtin::StripePublishableKey } else { Builtin::StripeSecretKey };
    c.found(class)
}

fn check_twilio_sid(c: &Candidate<'_>) -> Option<Found> {
    let class = if c.text().starts_with("AC") { Builtin::TwilioAccountSid } else { Builtin::TwilioApiKeySid };
    c.found(class)
}

fn check_sendgrid(c: &Candidate<'_>) -> Option<Found> {
    if c.byte_after().is_some_and(is_url_safe_byte) {
        return None;
    }
    c.found(Builtin::SendgridApiKey)
}

fn accept_npm(c: &Candidate<'_>) -> Option<Found> {
    c.found(Builtin::NpmToken)
}

fn accept_pypi(c: &Candidate<'_>) -> Option<Found> {
    c.found(Builtin::PypiToken)
}

/// Checks that a JWT's header decodes to a JSON object with an `alg` member and that its
/// payload decodes from base64url.
fn check_jwt(c: &Candidate<'_>) -> Option<Found> {
    let mut parts = c.text().split('.');
    let header = URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
    let payload = parts.next()?;
    let header: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&header).ok()?;
    if !header.get("alg").is_some_and(serde_json::Value::is_string) {
        return None;
    }
    URL_SAFE_NO_PAD.decode(payload).ok()?;
    c.found(Builtin::Jwt)
}

/// Minimum base64 characters in a PEM body: a header with a short body is a placeholder.
const MIN_PEM_BODY_CHARS: usize = 32;

fn check_private_key(c: &Candidate<'_>) -> Option<Found> {
    let rest = &c.value[c.end..];
    let end = match rest.find("-----END ") {
        Some(at) => {
            let close = rest[at + 9..].find("-----").map(|e| at + 9 + e + 5).unwrap_or(rest.len());
            c.end + close
        }
        None => c.value.len(),
    };
    let body_chars = c.value[c.end..end].bytes().filter(|b| b.is_ascii_alphanumeric() || b"+/=".contains(b)).count();
    (body_chars >= MIN_PEM_BODY_CHARS).then_some(Found { class: Builtin::PrivateKey, start: c.start, end })
}

/// Checks for a Windows-style variable such as `%DB_PASSWORD%`.
fn is_percent_variable(text: &str) -> bool {
    let inner = text.strip_prefix('%').and_then(|t| t.strip_suffix('%'));
    inner.is_some_and(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'))
}

/// Templating and masks written in place of a secret.
fn is_placeholder(secret: &str) -> bool {
    let s = secret.trim();
    let lower = s.to_ascii_lowercase();
    s.is_empty()
        || s.bytes().all(|b| b == b'*' || b == b'x' || b == b'X' || b == b'.' || b == b'#')
        || s.chars().all(|c| c == '•' || c == '●')
        || s.starts_with("${")
        || s.starts_with("{{")
        || s.starts_with('<')
        || is_percent_variable(s)
        || s.starts_with("[redacted")
        || matches!(
            lower.as_str(),
            "null" | "none" | "nil" | "undefined" | "true" | "false" | "redacted" | "[redacted]" | "n/a" | "na" | "-"
        )
}

fn check_database_url(c: &Candidate<'_>) -> Option<Found> {
    let text = c.text();
    let credentials = &text[text.find("://")? + 3..text.rfind('@')?];
    let password = credentials.split_once(':')?.1;
    c.found_if(!is_placeholder(password), Builtin::DatabaseUrl)
}

fn check_bearer(c: &Candidate<'_>) -> Option<Found> {
    if c.byte_before().is_some_and(is_word_byte) {
        return None;
    }
    // A token has digits or mixed case; `Bearer authentication` is prose.
    let token = c.text()[6..].trim();
    let letters = token.bytes().any(|b| b.is_ascii_alphabetic());
    let digits = token.bytes().any(|b| b.is_ascii_digit());
    let mixed_case = token.bytes().any(|b| b.is_ascii_uppercase()) && token.bytes().any(|b| b.is_ascii_lowercase());
    c.found_if(letters && (digits || mixed_case) && !is_placeholder(token), Builtin::BearerToken)
}

/// `user:password` decoded from the base64 of a Basic authorization value.
fn basic_credentials(encoded: &str) -> bool {
    let Ok(decoded) = STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&decoded) else {
        return false;
    };
    matches!(text.split_once(':'), Some((user, password)) if !user.is_empty() && !password.is_empty())
}

fn check_basic_auth(c: &Candidate<'_>) -> Option<Found> {
    if c.byte_before().is_some_and(is_word_byte) {
        return None;
    }
    c.found_if(basic_credentials(&c.text()[5..]), Builtin::BasicAuth)
}

fn key_phone(value: &str, c: &Candidate<'_>) -> Option<Builtin> {
    let number = value.strip_prefix("tel:").unwrap_or(value);
    let allowed = number.bytes().all(|b| b.is_ascii_digit() || b" +-().".contains(&b));
    (allowed && number.bytes().any(|b| b.is_ascii_digit()) && parse_phone(number, c.phone_regions))
        .then_some(Builtin::Phone)
}

/// Digits of a value written as digits with optional spaces, dashes, dots or slashes.
fn separated_digits(value: &str) -> Option<Vec<u8>> {
    if !value.bytes().all(|b| b.is_ascii_digit() || b" -./".contains(&b)) {
        return None;
    }
    check::digits(&strip_separators(value))
}

fn key_us_tax_id(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    us_tax_id_class(&separated_digits(value)?)
}

fn key_sin(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    check::is_sin(&separated_digits(value)?).then_some(Builtin::CaSin)
}

fn key_aadhaar(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    check::is_aadhaar(&separated_digits(value)?).then_some(Builtin::InAadhaar)
}

fn key_cpf(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    check::is_cpf(&separated_digits(value)?).then_some(Builtin::BrCpf)
}

fn key_cnpj(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    check::is_cnpj(&separated_digits(value)?).then_some(Builtin::BrCnpj)
}

fn key_bsn(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    let mut digits = separated_digits(value)?;
    // BSNs below 100000000 are sometimes written with eight digits.
    if digits.len() == 8 {
        digits.insert(0, 0);
    }
    check::is_bsn(&digits).then_some(Builtin::NlBsn)
}

fn key_pesel(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    check::is_pesel(&separated_digits(value)?).then_some(Builtin::PlPesel)
}

fn key_personnummer(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    if !value.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b'+') {
        return None;
    }
    let digits = check::digits(&strip_separators(value))?;
    let ten = match digits.len() {
        10 => &digits[..],
        12 if matches!(&digits[..2], [1, 8] | [1, 9] | [2, 0]) => &digits[2..],
        _ => return None,
    };
    check::is_personnummer(ten).then_some(Builtin::SePersonnummer)
}

fn key_vin(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    check::is_vin_shape(value).then_some(Builtin::Vin)
}

fn key_passport(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    let compact = strip_separators(value);
    let shape = (6..=9).contains(&compact.len())
        && value.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b == b' ')
        && compact.bytes().any(|b| b.is_ascii_digit())
        && !compact.bytes().all(|b| b == compact.as_bytes()[0]);
    shape.then_some(Builtin::Passport)
}

fn key_drivers_license(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    let compact = strip_separators(value);
    let shape = (5..=20).contains(&compact.len())
        && value.len() <= 24
        && value.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b == b' ' || b == b'-')
        && compact.bytes().filter(u8::is_ascii_digit).count() >= 3;
    shape.then_some(Builtin::DriversLicense)
}

fn key_medical_record(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    let shape = (4..=24).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'/')
        && value.bytes().filter(u8::is_ascii_digit).count() >= 4;
    shape.then_some(Builtin::MedicalRecord)
}

fn key_npi(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    check::is_npi(&check::digits(value)?).then_some(Builtin::UsNpi)
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn month_number(word: &str) -> Option<u32> {
    let lower = word.trim_end_matches(['.', ',']).to_ascii_lowercase();
    if lower.len() < 3 {
        return None;
    }
    MONTHS.iter().position(|m| m.starts_with(&lower)).map(|i| i as u32 + 1)
}

/// Reads a calendar date in the usual written forms: `1985-03-07` (optionally with a
/// time), `1985/03/07`, `19850307`, `03/07/1985` and `07.03.1985` (either day-month or
/// month-day order), `March 7, 1985` and `7 March 1985`. Years run from 1900 to 2100.
pub(crate) fn parse_date(value: &str) -> Option<(u32, u32, u32)> {
    let plausible = |y: u32, m: u32, d: u32| (1900..=2100).contains(&y) && check::is_valid_date(y, m, d);
    let b = value.as_bytes();
    let num = |s: &str| s.parse::<u32>().ok();

    if b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && (b[4] == b'-' || b[4] == b'/') && b[7] == b[4] {
        let rest_ok = b.len() == 10 || matches!(b[10], b'T' | b' ');
        let (y, m, d) = (num(&value[..4])?, num(value.get(5..7)?)?, num(value.get(8..10)?)?);
        return (rest_ok && plausible(y, m, d)).then_some((y, m, d));
    }
    if b.len() == 8 && b.iter().all(u8::is_ascii_digit) {
        let (y, m, d) = (num(&value[..4])?, num(&value[4..6])?, num(&value[6..])?);
        return plausible(y, m, d).then_some((y, m, d));
    }
    let parts: Vec<&str> = value.split(['/', '.', '-']).collect();
    if parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) {
        let (a, m_or_d, y) = (num(parts[0])?, num(parts[1])?, num(parts[2])?);
        if parts[2].len() != 4 {
            return None;
        }
        if plausible(y, a, m_or_d) {
            return Some((y, a, m_or_d));
        }
        return plausible(y, m_or_d, a).then_some((y, m_or_d, a));
    }
    let words: Vec<&str> = value.split_whitespace().collect();
    if words.len() == 3 {
        let year = num(words[2])?;
        if let Some(month) = month_number(words[0]) {
            let day = num(words[1].trim_end_matches(','))?;
            return plausible(year, month, day).then_some((year, month, day));
        }
        let month = month_number(words[1])?;
        let day = num(words[0])?;
        return plausible(year, month, day).then_some((year, month, day));
    }
    None
}

fn key_date_of_birth(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    parse_date(value).map(|_| Builtin::DateOfBirth)
}

fn key_street_address(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    let has_digit = value.bytes().any(|b| b.is_ascii_digit());
    let has_word = value.split(|c: char| !c.is_alphabetic()).any(|w| w.chars().count() >= 2);
    let shape = (5..=200).contains(&value.len())
        && has_digit
        && has_word
        && !value.contains('@')
        && !value.contains("://")
        && parse_date(value).is_none();
    shape.then_some(Builtin::StreetAddress)
}

fn key_person_name(value: &str, c: &Candidate<'_>) -> Option<Builtin> {
    // A bare `name` key is a person's name only under a person-like parent key.
    if c.hints & key::NAME == 0 && c.hints & key::PERSON == 0 {
        return None;
    }
    let chars = value.chars().count();
    let words = value.split_whitespace().count();
    let letters = value.chars().filter(|c| c.is_alphabetic()).count();
    let allowed = value.chars().all(|c| c.is_alphabetic() || " '-.,".contains(c));
    let lower = value.to_ascii_lowercase();
    let placeholder = matches!(
        lower.as_str(),
        "null" | "none" | "unknown" | "anonymous" | "test" | "n/a" | "na" | "guest" | "user" | "undefined"
    );
    let shape = (2..=100).contains(&chars)
        && (1..=6).contains(&words)
        && letters >= 2
        && allowed
        && value.chars().next().is_some_and(char::is_alphabetic)
        && !placeholder;
    shape.then_some(Builtin::PersonName)
}

/// Parses a decimal degree with at least `min_decimals` decimals, as coordinates are
/// written.
fn parse_degree(value: &str, min_decimals: usize) -> Option<f64> {
    let decimals = value.split_once('.')?.1;
    if decimals.len() < min_decimals || !decimals.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

fn key_coordinates(value: &str, c: &Candidate<'_>) -> Option<Builtin> {
    if c.hints & key::COORDINATES != 0 {
        let (lat, lon) = parse_coordinate_pair(value)?;
        let precise =
            value.split(',').all(|part| parse_degree(part.trim().trim_matches(['[', ']', '(', ')']), 2).is_some());
        return (precise && coordinates_in_range(lat, lon)).then_some(Builtin::GeoCoordinates);
    }
    // One decimal suffices under a `lat` or `lng` key: JSON numbers lose trailing zeros.
    let degree = parse_degree(value, 1)?;
    let limit = if c.hints & key::LATITUDE != 0 { 90.0 } else { 180.0 };
    (degree.abs() <= limit && degree != 0.0).then_some(Builtin::GeoCoordinates)
}

fn key_card_security_code(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    ((3..=4).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit())).then_some(Builtin::CardSecurityCode)
}

fn key_aba_routing(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    check::is_aba_routing(&check::digits(value)?).then_some(Builtin::AbaRouting)
}

fn key_swift_bic(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    let b = value.as_bytes();
    let shape = (b.len() == 8 || b.len() == 11)
        && b[..6].iter().all(u8::is_ascii_uppercase)
        && b[6..].iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    shape.then_some(Builtin::SwiftBic)
}

fn key_aws_secret(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    let shape = value.len() == 40
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'+')
        && value.bytes().any(|b| b.is_ascii_digit())
        && value.bytes().any(|b| b.is_ascii_alphabetic());
    shape.then_some(Builtin::AwsSecretKey)
}

fn key_twilio_auth_token(value: &str, c: &Candidate<'_>) -> Option<Builtin> {
    let shape = c.hints & (key::TOKEN | key::API_KEY) != 0
        && value.len() == 32
        && value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    shape.then_some(Builtin::TwilioAuthToken)
}

fn key_password(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    (value.len() <= 256 && !is_placeholder(value)).then_some(Builtin::Password)
}

/// Minimum length of a value under a token or API key name: shorter values are flags,
/// counts or ids, not secrets.
const MIN_SECRET_CHARS: usize = 16;

/// Checks for an opaque secret: long enough, one word, URL-safe or base64 characters,
/// letters with digits or mixed case, and no URL.
fn is_token_like(value: &str) -> bool {
    let upper = value.bytes().any(|b| b.is_ascii_uppercase());
    let lower = value.bytes().any(|b| b.is_ascii_lowercase());
    let digits = value.bytes().any(|b| b.is_ascii_digit());
    (MIN_SECRET_CHARS..=4096).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/=:".contains(&b))
        && (upper || lower)
        && (digits || (upper && lower))
        && !value.contains("://")
        && !is_placeholder(value)
}

fn key_token(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    if let Some((scheme, credentials)) = value.split_once(' ') {
        if scheme.eq_ignore_ascii_case("basic") {
            return basic_credentials(credentials).then_some(Builtin::BasicAuth);
        }
        let known = ["bearer", "token", "jwt"].iter().any(|s| scheme.eq_ignore_ascii_case(s));
        return (known && is_token_like(credentials.trim())).then_some(Builtin::BearerToken);
    }
    is_token_like(value).then_some(Builtin::BearerToken)
}

fn key_api_key(value: &str, _: &Candidate<'_>) -> Option<Builtin> {
    is_token_like(value).then_some(Builtin::ApiKey)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts that no rule's gate turns away a value its pattern matches: gates only
    /// save work and must not change what is found.
    fn assert_gates_admit_matches(values: &[&str]) {
        let rules = value_rules();
        let regexes: Vec<regex::Regex> = rules.iter().map(|r| regex::Regex::new(r.pattern).unwrap()).collect();
        for value in values {
            let features = Features::of(value);
            for (rule, regex) in rules.iter().zip(&regexes) {
                if regex.is_match(value) {
                    assert!((rule.gate)(&features), "the gate of {} turns away {value:?}", rule.pattern);
                }
            }
        }
    }

    #[test]
    fn gates_admit_matches_in_context() {
        assert_gates_admit_matches(&[
            "mac 00:1A:2b:3C:4d:5E here",
            "00-1A-2B-3C-4D-5E",
            "switch 001a.2b3c.4d5e, port 3",
            "(001A.2B3C.4D5E)",
            "NINO: QQ123456C.",
            "QQ 12 34 56 C",
            "sin 046-454-286",
            "046 454 286",
            "cpf 123.456.789-09",
            "IBAN DE89370400440532013000",
            "iban: GB82 WEST 1234 5698 7654 32",
            "(FR1420041010050500013M02606)",
            "é-DE89370400440532013000",
            "12 Baker Street",
            "ship to 221B Baker St, London",
            "1600 Pennsylvania Ave. Nw Way",
        ]);
    }

    #[cfg(feature = "synth")]
    #[test]
    fn gates_admit_matches_in_generated_payloads() {
        let dataset = crate::synth::generate(11, 3_000);
        let mut values = Vec::new();
        for payload in &dataset.payloads {
            values.push(payload.text.clone());
            for field in &payload.fields {
                values.push(field.value.clone());
            }
        }
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        assert_gates_admit_matches(&values);
    }

    #[test]
    fn parse_date_table() {
        let cases = [
            ("1985-03-07", Some((1985, 3, 7))),
            ("1985-03-07T00:00:00Z", Some((1985, 3, 7))),
            ("1985/03/07", Some((1985, 3, 7))),
            ("19850307", Some((1985, 3, 7))),
            ("03/27/1985", Some((1985, 3, 27))),
            ("27.03.1985", Some((1985, 3, 27))),
            ("March 7, 1985", Some((1985, 3, 7))),
            ("7 Mar 1985", Some((1985, 3, 7))),
            ("1985-02-30", None),
            ("1850-01-01", None),
            ("12/31/85", None),
            ("yesterday", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_date(text), expected, "{text}");
        }
    }

    #[test]
    fn remembered_phone_numbers_keep_their_regions() {
        let us = [country::Id::US];
        let gb = [country::Id::GB];
        let texts = ["020 7946 0958", "(415) 555-2671", "+44 20 7946 0958", "0044 20 7946 0958", "+1 555 0100 99"];
        // Twice in each order, so the second round reads what the first remembered.
        for _ in 0..2 {
            for regions in [&us[..], &gb[..], &[][..]] {
                for text in texts {
                    assert_eq!(parse_phone(text, regions), validate_phone(text, regions), "{text} in {regions:?}");
                }
            }
        }
        assert!(parse_phone("020 7946 0958", &gb));
        assert!(!parse_phone("020 7946 0958", &us));
        assert!(parse_phone("(415) 555-2671", &us));
        assert!(!parse_phone("(415) 555-2671", &gb));
    }

    #[test]
    fn placeholders_are_not_secrets() {
        for text in ["", "********", "${DB_PASSWORD}", "{{password}}", "<password>", "null", "[REDACTED]", "••••"]
        {
            assert!(is_placeholder(text), "{text:?}");
        }
        for text in ["hunter2", "s3cr3t!", "correct horse battery staple"] {
            assert!(!is_placeholder(text), "{text:?}");
        }
    }

    #[test]
    fn value_rules_compile() {
        for rule in value_rules() {
            regex::Regex::new(rule.pattern).unwrap_or_else(|e| panic!("{}: {e}", rule.pattern));
        }
    }
}
