//! Concrete values for path parameters, shaped by the parameter's schema and name.
//!
//! The aim is values a real client would send for what the parameter names: integers
//! for integer schemas, UUIDs for `format: uuid`, user names for `owner`, 40-hex commit
//! ids for `sha`, file names for `path`. The rules are written from what the names mean,
//! never from what the discovery algorithm would find easy or hard.

use fastrand::Rng;
use palisade_openapi::synth::SEGMENT;
use percent_encoding::{percent_decode_str, utf8_percent_encode};
use regex::Regex;

use super::pattern::PatternGenerator;
use super::spec::PathParam;

/// Tries at generating a value from a `pattern` before falling back to the name-based one.
const PATTERN_ATTEMPTS: usize = 5;

const FIRST_NAMES: &[&str] = &[
    "maria", "james", "wei", "aisha", "lucas", "sofia", "omar", "yuki", "elena", "david", "priya", "noah", "fatima",
    "liam", "chen", "olga", "mateo", "amara", "ivan", "hannah", "diego", "sara", "kenji", "leila", "tom", "nina",
    "ravi", "emma", "pablo", "ingrid", "samuel", "mei", "jonas", "zara", "felix", "ana", "kofi", "lena", "arjun",
    "clara",
];
const LAST_NAMES: &[&str] = &[
    "lopez", "smith", "zhang", "khan", "mueller", "rossi", "tanaka", "novak", "silva", "johnson", "patel", "kim",
    "garcia", "nguyen", "ivanova", "okafor", "berg", "dubois", "costa", "schmidt", "wright", "sato", "haddad",
    "jensen", "morales", "fischer", "ali", "brown", "suzuki", "larsen", "moreau", "reyes", "weber", "kowalski",
    "hughes", "yilmaz", "andersen", "bianchi", "park", "mendes",
];
const HANDLES: &[&str] = &[
    "octocat",
    "devfox",
    "codebear",
    "pixelpanda",
    "nightowl",
    "bytewolf",
    "cloudcat",
    "rustacean",
    "bluejay",
    "quietstorm",
    "tinkerer",
    "hexhound",
    "lambdalion",
    "stackrat",
    "gitgoat",
    "kernelkid",
];
const NOUNS: &[&str] = &[
    "project",
    "service",
    "website",
    "billing",
    "gateway",
    "dashboard",
    "inventory",
    "catalog",
    "payments",
    "analytics",
    "backend",
    "frontend",
    "docs",
    "mobile",
    "portal",
    "worker",
    "scheduler",
    "pipeline",
    "storage",
    "search",
    "auth",
    "notifications",
    "reports",
    "ledger",
    "checkout",
    "cart",
    "orders",
    "shipping",
    "invoices",
    "metrics",
    "logging",
    "monitor",
    "cache",
    "queue",
    "router",
    "proxy",
    "importer",
    "exporter",
    "sync",
    "crawler",
    "theme",
    "plugin",
    "sdk",
    "toolkit",
    "engine",
    "compiler",
    "parser",
    "editor",
    "viewer",
    "tracker",
    "planner",
    "calendar",
    "chat",
    "mailer",
    "uploader",
    "resizer",
    "converter",
    "registry",
    "vault",
    "atlas",
    "beacon",
    "harbor",
    "summit",
    "river",
    "forest",
    "meadow",
    "canyon",
    "comet",
    "orbit",
    "nebula",
    "falcon",
    "otter",
    "maple",
    "cedar",
    "ember",
    "camera",
    "bicycle",
    "garden",
    "recipe",
    "lantern",
    "violin",
];
const ADJECTIVES: &[&str] = &[
    "silver", "quiet", "rapid", "green", "bright", "little", "ancient", "blue", "bold", "brave", "calm", "clever",
    "cosmic", "crimson", "dark", "eager", "golden", "happy", "hidden", "icy", "lucky", "misty", "noble", "proud",
    "red", "shiny", "swift", "tiny", "wild", "young",
];
const ENVIRONMENTS: &[&str] = &["prod", "staging", "dev", "test", "qa", "sandbox"];
const FILE_STEMS: &[&str] = &[
    "notes",
    "report",
    "readme",
    "config",
    "index",
    "main",
    "setup",
    "changelog",
    "invoice",
    "photo",
    "diagram",
    "budget",
    "schedule",
    "data",
    "backup",
    "summary",
    "draft",
    "agenda",
    "logo",
    "avatar",
];
const FILE_EXTENSIONS: &[&str] =
    &["txt", "md", "json", "yaml", "pdf", "png", "jpg", "csv", "py", "rs", "go", "js", "html", "zip", "log"];
const REGIONS: &[&str] = &[
    "westeurope",
    "northeurope",
    "eastus",
    "eastus2",
    "westus2",
    "centralus",
    "uksouth",
    "japaneast",
    "southeastasia",
    "australiaeast",
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
    "europe-west1",
    "us-central1",
    "asia-east1",
];
const ZONES: &[&str] = &[
    "us-central1-a",
    "us-central1-b",
    "us-east1-c",
    "europe-west1-b",
    "europe-west4-a",
    "asia-east1-a",
    "asia-northeast1-c",
    "australia-southeast1-b",
];
const COUNTRIES: &[&str] = &[
    "US", "GB", "DE", "FR", "ES", "IT", "NL", "SE", "NO", "DK", "FI", "PL", "PT", "IE", "CA", "AU", "NZ", "JP", "KR",
    "IN", "BR", "MX", "AR", "ZA", "NG",
];
const LANGUAGES: &[&str] = &["en", "de", "fr", "es", "it", "pt", "nl", "ja", "zh", "ko", "ru", "pl", "sv", "tr", "ar"];
const LOCALES: &[&str] = &["en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "pt-BR", "ja-JP", "zh-CN", "nl-NL", "sv-SE"];
const CITIES: &[&str] = &[
    "london",
    "paris",
    "berlin",
    "madrid",
    "lisbon",
    "melbourne",
    "toronto",
    "osaka",
    "nairobi",
    "lima",
    "oslo",
    "dublin",
    "krakow",
    "porto",
    "austin",
    "denver",
    "leeds",
    "lyon",
    "munich",
    "seville",
    "glasgow",
    "cardiff",
    "bristol",
    "manchester",
    "york",
    "brighton",
    "norwich",
    "oxford",
    "cambridge",
    "bath",
    "hamburg",
    "cologne",
    "leipzig",
    "dresden",
    "valencia",
    "bilbao",
    "malaga",
    "turin",
    "naples",
    "florence",
    "bologna",
    "milan",
    "rotterdam",
    "utrecht",
    "antwerp",
    "ghent",
    "geneva",
    "zurich",
    "basel",
    "vienna",
    "graz",
    "prague",
    "brno",
    "warsaw",
    "gdansk",
    "riga",
    "tallinn",
    "vilnius",
    "helsinki",
    "tampere",
    "bergen",
    "aarhus",
    "malmo",
    "gothenburg",
    "perth",
    "adelaide",
    "brisbane",
    "hobart",
    "auckland",
    "wellington",
    "vancouver",
    "calgary",
];
const HTTP_METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const STATUS_CODES: &[&str] = &["200", "201", "204", "400", "401", "403", "404", "409", "422", "429", "500", "503"];
const EMAIL_DOMAINS: &[&str] = &["example.com", "mail.example.org", "corp.example.net"];
const ARN_SERVICES: &[&str] = &["lambda", "s3", "dynamodb", "sns", "sqs", "geo", "synthetics", "apigateway"];

/// The shape of a parameter's values, decided once per parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueStyle {
    Integer {
        min: i64,
        max: i64,
    },
    Boolean,
    Uuid,
    Date,
    DateTime,
    Email,
    /// One of the identifier styles of [`IdStyle`].
    Id(IdStyle),
    /// A GitHub-style user or organisation name: `maria-lopez`, `octocat42`.
    UserName,
    /// A resource name: `billing-service`, `my-project-3`.
    Slug,
    /// A Kubernetes-style DNS label: `team-a7f3`, `payments-prod`.
    DnsLabel,
    /// A 40-digit hexadecimal commit id.
    CommitSha,
    /// `sha256:` and 64 hexadecimal digits.
    Digest,
    /// One file name: `notes.txt`.
    FileName,
    Branch,
    Region,
    Zone,
    Country,
    Language,
    Locale,
    /// A semantic version: `2.14.3`.
    Version,
    Year,
    Latitude,
    Longitude,
    HttpMethod,
    StatusCode,
    /// A long random token, as for OAuth codes.
    Token,
    /// A short upper-case code: `K7QP2M`.
    ShortCode,
    /// An Amazon resource name.
    Arn,
    /// A DNS name: `shop-7.example.com`.
    DomainName,
    City,
    Postcode,
    /// One or two search words, separated by a space.
    SearchTerm,
    /// A single word.
    Word,
}

/// Shapes of identifiers that real APIs use. Each parameter keeps one style, as a real
/// API does, and the style is drawn at random per parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdStyle {
    Integer,
    Uuid,
    /// A type prefix and random letters and digits: `ord_NffrFeUfNV2Hib`.
    Prefixed,
    /// 24 hexadecimal digits, as MongoDB object ids.
    ObjectId,
    /// Eight upper-case letters and digits: `K7QP2MXA`.
    ShortCode,
}

/// How to generate one parameter's values: its style, its enum, its pattern.
#[derive(Debug, Clone)]
pub struct ValuePlan {
    style: ValueStyle,
    enum_values: Vec<String>,
    pattern: Option<(Regex, Option<PatternGenerator>)>,
    /// Type prefix for [`IdStyle::Prefixed`], from the parameter name.
    prefix: String,
}

impl ValuePlan {
    /// Decides the style of `param`. `rng` draws the identifier style for names that mean
    /// only "id".
    pub fn new(param: &PathParam, previous_literal: Option<&str>, rng: &mut Rng) -> Self {
        let pattern = param.pattern.as_deref().and_then(|p| {
            let regex = Regex::new(p).ok()?;
            Some((regex, PatternGenerator::parse(p)))
        });
        Self {
            style: style_for(param, previous_literal, rng),
            enum_values: param.enum_values.clone(),
            pattern,
            prefix: id_prefix(&param.name),
        }
    }

    pub fn style(&self) -> ValueStyle {
        self.style
    }

    /// Generates a fresh value, not yet percent-encoded. An `enum` takes precedence over
    /// everything. A value that misses the schema's `pattern` is replaced by one generated
    /// from the pattern when that succeeds.
    pub fn generate(&self, rng: &mut Rng) -> String {
        if !self.enum_values.is_empty() {
            return self.enum_values[rng.usize(..self.enum_values.len())].clone();
        }
        let value = generate_style(self.style, &self.prefix, rng);
        let Some((regex, generator)) = &self.pattern else {
            return value;
        };
        if regex.is_match(&value) {
            return value;
        }
        if let Some(generator) = generator {
            for _ in 0..PATTERN_ATTEMPTS {
                let candidate = generator.generate(rng);
                if !candidate.is_empty() && regex.is_match(&candidate) {
                    return candidate;
                }
            }
        }
        value
    }
}

/// Percent-encodes a value for use as one path segment. A value that already contains
/// percent escapes, as some descriptions write enum values (`N.Y.%20%2F%20Region`), is
/// decoded first so it is not encoded twice.
pub fn encode_segment(value: &str) -> String {
    let decoded = percent_decode_str(value).decode_utf8_lossy();
    utf8_percent_encode(&decoded, SEGMENT).to_string()
}

/// Decides the style from the schema first (type, format), then from the name, then
/// from the path segment before the parameter.
fn style_for(param: &PathParam, previous_literal: Option<&str>, rng: &mut Rng) -> ValueStyle {
    let format = param.format.as_deref().unwrap_or("");
    match param.type_name.as_deref() {
        Some("integer" | "number") => return integer_style(param),
        Some("boolean") => return ValueStyle::Boolean,
        _ => {}
    }
    match format {
        "uuid" => return ValueStyle::Uuid,
        "date" => return ValueStyle::Date,
        "date-time" => return ValueStyle::DateTime,
        "email" => return ValueStyle::Email,
        "int32" | "int64" => return integer_style(param),
        _ => {}
    }
    let style = style_for_name(&param.name, rng);
    if style == ValueStyle::Word && names_collection_member(&param.name, previous_literal) {
        return ValueStyle::Id(random_id_style(rng));
    }
    style
}

/// True when the parameter is named after the collection it follows, as `charge` in
/// `/charges/{charge}`: it picks one member of the collection, so its values are
/// identifiers rather than words.
fn names_collection_member(name: &str, previous_literal: Option<&str>) -> bool {
    let Some(collection) = previous_literal.and_then(|literal| split_words(literal).pop()) else {
        return false;
    };
    let Some(last) = split_words(name).pop() else {
        return false;
    };
    singular(&collection) == last
}

/// English plural endings, enough for collection names such as `charges`, `policies`
/// and `boxes`.
fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies").filter(|stem| stem.len() > 1) {
        return format!("{stem}y");
    }
    for ending in ["sses", "xes", "ches", "shes", "zes"] {
        if word.len() > ending.len() + 1 && word.ends_with(ending) {
            return word[..word.len() - 2].to_string();
        }
    }
    if word.ends_with('s') && !word.ends_with("ss") && !word.ends_with("us") && !word.ends_with("is") {
        return word[..word.len() - 1].to_string();
    }
    word.to_string()
}

fn integer_style(param: &PathParam) -> ValueStyle {
    let min = param.minimum.unwrap_or(1);
    let max = param.maximum.unwrap_or(i64::MAX).max(min);
    ValueStyle::Integer { min, max }
}

/// Decides the style from the words of a parameter name, mostly its last word:
/// `repo_owner` is a user name, `commit_sha` a commit id, `resourceGroupName` a slug.
pub fn style_for_name(name: &str, rng: &mut Rng) -> ValueStyle {
    let words = split_words(name);
    let Some(last) = words.last().map(String::as_str) else {
        return ValueStyle::Word;
    };
    let has = |word: &str| words.iter().any(|w| w == word);

    if has("email") {
        return ValueStyle::Email;
    }
    match last {
        "uuid" | "guid" => ValueStyle::Uuid,
        "digest" => ValueStyle::Digest,
        "sha" | "commit" | "ref" | "revision" => ValueStyle::CommitSha,
        "namespace" => ValueStyle::DnsLabel,
        "owner" | "username" | "user" | "login" | "org" | "organization" | "author" | "assignee" | "collaborator"
        | "member" | "actor" | "enterprise" | "maintainer" | "follower" => ValueStyle::UserName,
        "path" | "filepath" | "file" | "filename" | "logpath" | "archive" => ValueStyle::FileName,
        "id" | "sid" | "key" | "identifier" | "uid" => ValueStyle::Id(random_id_style(rng)),
        "index" | "number" | "num" | "page" | "count" | "seq" => ValueStyle::Integer { min: 1, max: 99_999 },
        "date" | "day" => ValueStyle::Date,
        "datetime" | "timestamp" => ValueStyle::DateTime,
        "year" => ValueStyle::Year,
        "region" | "location" => ValueStyle::Region,
        "zone" => ValueStyle::Zone,
        "country" => ValueStyle::Country,
        "language" | "lang" => ValueStyle::Language,
        "locale" => ValueStyle::Locale,
        "version" => ValueStyle::Version,
        "branch" => ValueStyle::Branch,
        "latitude" | "lat" => ValueStyle::Latitude,
        "longitude" | "lng" | "lon" => ValueStyle::Longitude,
        "method" if words.len() == 1 || has("http") => ValueStyle::HttpMethod,
        "code" if has("status") => ValueStyle::StatusCode,
        "code" if has("country") => ValueStyle::Country,
        "code" => ValueStyle::ShortCode,
        "token" => ValueStyle::Token,
        "arn" => ValueStyle::Arn,
        "town" | "city" => ValueStyle::City,
        "postcode" | "zip" | "zipcode" | "postal" => ValueStyle::Postcode,
        "term" | "query" | "q" | "keyword" | "keywords" | "search" => ValueStyle::SearchTerm,
        "name" if has("domain") => ValueStyle::DomainName,
        "repo" | "repository" | "name" | "slug" | "project" | "package" | "workspace" | "service" | "team"
        | "group" | "tag" | "topic" | "label" | "environment" | "cluster" | "pool" | "replica" | "instance" | "app"
        | "site" | "bucket" | "queue" | "list" | "report" | "policy" | "dataset" | "table" | "model" | "routine"
        | "collection" | "tracker" | "template" | "secret" | "variable" | "runner" | "hook" | "stage" | "release"
        | "codespace" | "property" | "network" | "cloud" | "parent" | "resource" | "calculator" => ValueStyle::Slug,
        // Names glued without a separator, such as `playerid` or `storagelensid`.
        other if other.len() > 4 && other.ends_with("id") && !is_word_ending_in_id(other) => {
            ValueStyle::Id(random_id_style(rng))
        }
        _ => ValueStyle::Word,
    }
}

/// Common English words that end in "id" but do not name an identifier.
fn is_word_ending_in_id(word: &str) -> bool {
    ["android", "fluid", "hybrid", "pyramid", "valid", "invalid", "squid", "rapid", "solid"].contains(&word)
}

fn random_id_style(rng: &mut Rng) -> IdStyle {
    const STYLES: [IdStyle; 5] =
        [IdStyle::Integer, IdStyle::Uuid, IdStyle::Prefixed, IdStyle::ObjectId, IdStyle::ShortCode];
    STYLES[rng.usize(..STYLES.len())]
}

/// Splits `resourceGroupName`, `commit_sha` or `enterprise-team` into lower-case words.
pub fn split_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Derives a three-letter type prefix from the parameter name: `order_id` gives `ord`.
fn id_prefix(name: &str) -> String {
    let words = split_words(name);
    let base = words.iter().find(|w| *w != "id" && w.chars().all(|c| c.is_ascii_alphabetic())).map_or("obj", |w| w);
    base.chars().take(3).collect()
}

fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.usize(..items.len())]
}

fn hex(rng: &mut Rng, digits: usize) -> String {
    (0..digits).map(|_| rng.digit(16)).collect()
}

fn alphanumeric(rng: &mut Rng, length: usize) -> String {
    (0..length).map(|_| rng.alphanumeric()).collect()
}

fn generate_style(style: ValueStyle, prefix: &str, rng: &mut Rng) -> String {
    match style {
        ValueStyle::Integer { min, max } => integer(rng, min, max).to_string(),
        ValueStyle::Boolean => rng.bool().to_string(),
        ValueStyle::Uuid => uuid(rng),
        ValueStyle::Date => date(rng),
        ValueStyle::DateTime => {
            format!("{}T{:02}:{:02}:{:02}Z", date(rng), rng.u8(0..24), rng.u8(0..60), rng.u8(0..60))
        }
        ValueStyle::Email => {
            let local = format!("{}.{}", pick(rng, FIRST_NAMES), pick(rng, LAST_NAMES));
            format!("{local}{}@{}", rng.u8(1..100), pick(rng, EMAIL_DOMAINS))
        }
        ValueStyle::Id(id) => generate_id(id, prefix, rng),
        ValueStyle::UserName => user_name(rng),
        ValueStyle::Slug => slug(rng),
        ValueStyle::DnsLabel => match rng.u8(0..3) {
            0 => format!("{}-{}", pick(rng, NOUNS), hex(rng, 4)),
            1 => format!("{}-{}", pick(rng, NOUNS), pick(rng, ENVIRONMENTS)),
            _ => format!("team-{}", hex(rng, 4)),
        },
        ValueStyle::CommitSha => hex(rng, 40),
        ValueStyle::Digest => format!("sha256:{}", hex(rng, 64)),
        ValueStyle::FileName => format!("{}.{}", pick(rng, FILE_STEMS), pick(rng, FILE_EXTENSIONS)),
        ValueStyle::Branch => match rng.u8(0..5) {
            0 => pick(rng, &["main", "master", "develop"]).to_string(),
            1 => format!("fix-{}-{}", pick(rng, NOUNS), rng.u16(1..1000)),
            _ => format!("feature-{}-{}", pick(rng, NOUNS), pick(rng, NOUNS)),
        },
        ValueStyle::Region => pick(rng, REGIONS).to_string(),
        ValueStyle::Zone => pick(rng, ZONES).to_string(),
        ValueStyle::Country => pick(rng, COUNTRIES).to_string(),
        ValueStyle::Language => pick(rng, LANGUAGES).to_string(),
        ValueStyle::Locale => pick(rng, LOCALES).to_string(),
        ValueStyle::Version => format!("{}.{}.{}", rng.u8(0..5), rng.u8(0..30), rng.u8(0..20)),
        ValueStyle::Year => rng.u16(2000..=2026).to_string(),
        ValueStyle::Latitude => format!("{:.4}", rng.f64() * 180.0 - 90.0),
        ValueStyle::Longitude => format!("{:.4}", rng.f64() * 360.0 - 180.0),
        ValueStyle::HttpMethod => pick(rng, HTTP_METHODS).to_string(),
        ValueStyle::StatusCode => pick(rng, STATUS_CODES).to_string(),
        ValueStyle::Token => alphanumeric(rng, 32),
        ValueStyle::ShortCode => (0..6).map(|_| short_code_char(rng)).collect(),
        ValueStyle::Arn => format!(
            "arn:aws:{}:{}:{:012}:resource/{}",
            pick(rng, ARN_SERVICES),
            pick(rng, &REGIONS[10..17]),
            rng.u64(100_000_000_000..1_000_000_000_000),
            slug(rng)
        ),
        ValueStyle::DomainName => format!("{}-{}.example.com", pick(rng, NOUNS), rng.u16(1..100)),
        ValueStyle::City => pick(rng, CITIES).to_string(),
        ValueStyle::Postcode => match rng.bool() {
            true => format!("{:05}", rng.u32(1000..99_999)),
            false => format!("{:04}", rng.u16(1000..9999)),
        },
        ValueStyle::SearchTerm => match rng.bool() {
            true => format!("{} {}", pick(rng, ADJECTIVES), pick(rng, NOUNS)),
            false => pick(rng, NOUNS).to_string(),
        },
        ValueStyle::Word => match rng.u8(0..4) {
            0 => pick(rng, ADJECTIVES).to_string(),
            _ => pick(rng, NOUNS).to_string(),
        },
    }
}

/// Draws an integer in `min..=max` with a spread-out number of digits, since real ids
/// range from small to large.
fn integer(rng: &mut Rng, min: i64, max: i64) -> i64 {
    let digits = rng.u32(1..=8);
    let upper = 10i64.saturating_pow(digits).min(max).max(min);
    rng.i64(min..=upper)
}

fn uuid(rng: &mut Rng) -> String {
    let h = hex(rng, 32);
    let variant = pick(rng, &["8", "9", "a", "b"]);
    format!("{}-{}-4{}-{}{}-{}", &h[0..8], &h[8..12], &h[13..16], variant, &h[17..20], &h[20..32])
}

fn date(rng: &mut Rng) -> String {
    format!("{}-{:02}-{:02}", rng.u16(2015..=2026), rng.u8(1..=12), rng.u8(1..=28))
}

fn short_code_char(rng: &mut Rng) -> char {
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    CHARS[rng.usize(..CHARS.len())] as char
}

fn generate_id(style: IdStyle, prefix: &str, rng: &mut Rng) -> String {
    match style {
        IdStyle::Integer => integer(rng, 1, 99_999_999).to_string(),
        IdStyle::Uuid => uuid(rng),
        IdStyle::Prefixed => format!("{prefix}_{}", alphanumeric(rng, 14)),
        IdStyle::ObjectId => hex(rng, 24),
        IdStyle::ShortCode => (0..8).map(|_| short_code_char(rng)).collect(),
    }
}

fn user_name(rng: &mut Rng) -> String {
    let first = pick(rng, FIRST_NAMES);
    let last = pick(rng, LAST_NAMES);
    match rng.u8(0..6) {
        0 => format!("{first}-{last}"),
        1 => format!("{first}{last}"),
        2 => format!("{}{}", pick(rng, HANDLES), rng.u8(1..100)),
        3 => format!("{}{last}", &first[..1]),
        4 => format!("{first}_{last}"),
        _ => format!("{first}{}", rng.u16(1970..2010)),
    }
}

fn slug(rng: &mut Rng) -> String {
    match rng.u8(0..5) {
        0 => format!("{}-{}", pick(rng, ADJECTIVES), pick(rng, NOUNS)),
        1 => format!("{}-{}", pick(rng, NOUNS), pick(rng, NOUNS)),
        2 => format!("my-{}-{}", pick(rng, NOUNS), rng.u8(1..10)),
        3 => format!("{}-{}-{}", pick(rng, NOUNS), pick(rng, ENVIRONMENTS), rng.u8(1..10)),
        _ => pick(rng, NOUNS).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(name: &str) -> PathParam {
        PathParam { name: name.to_string(), type_name: Some("string".into()), ..PathParam::default() }
    }

    #[test]
    fn split_words_cases() {
        assert_eq!(split_words("resourceGroupName"), vec!["resource", "group", "name"]);
        assert_eq!(split_words("commit_sha"), vec!["commit", "sha"]);
        assert_eq!(split_words("enterprise-team"), vec!["enterprise", "team"]);
        assert_eq!(split_words("ID"), vec!["id"]);
    }

    #[test]
    fn name_decides_style() {
        let mut rng = Rng::with_seed(1);
        let cases = [
            ("owner", ValueStyle::UserName),
            ("repo_owner", ValueStyle::UserName),
            ("repo", ValueStyle::Slug),
            ("resourceGroupName", ValueStyle::Slug),
            ("commit_sha", ValueStyle::CommitSha),
            ("ref", ValueStyle::CommitSha),
            ("namespace", ValueStyle::DnsLabel),
            ("file_path", ValueStyle::FileName),
            ("status_code", ValueStyle::StatusCode),
            ("country_code", ValueStyle::Country),
            ("domain_name", ValueStyle::DomainName),
            ("http_method", ValueStyle::HttpMethod),
            ("payment_method", ValueStyle::Word),
            ("whatever", ValueStyle::Word),
        ];
        for (name, expected) in cases {
            assert_eq!(style_for_name(name, &mut rng), expected, "{name}");
        }
        assert!(matches!(style_for_name("order_id", &mut rng), ValueStyle::Id(_)));
        assert!(matches!(style_for_name("playerid", &mut rng), ValueStyle::Id(_)));
    }

    #[test]
    fn schema_wins_over_name() {
        let mut rng = Rng::with_seed(1);
        let mut owner = param("owner");
        owner.type_name = Some("integer".into());
        assert!(matches!(ValuePlan::new(&owner, None, &mut rng).style(), ValueStyle::Integer { .. }));

        let mut sync = param("sync");
        sync.format = Some("uuid".into());
        assert_eq!(ValuePlan::new(&sync, None, &mut rng).style(), ValueStyle::Uuid);
    }

    #[test]
    fn collection_member_is_an_identifier() {
        let mut rng = Rng::with_seed(1);
        let charge = param("charge");
        assert!(matches!(ValuePlan::new(&charge, Some("charges"), &mut rng).style(), ValueStyle::Id(_)));
        assert!(matches!(ValuePlan::new(&param("policy"), Some("policies"), &mut rng).style(), ValueStyle::Slug));
        assert_eq!(ValuePlan::new(&charge, Some("disputes"), &mut rng).style(), ValueStyle::Word);
        assert_eq!(singular("boxes"), "box");
        assert_eq!(singular("status"), "status");
    }

    #[test]
    fn integer_bounds_are_kept() {
        let mut rng = Rng::with_seed(3);
        let mut code = param("code");
        code.type_name = Some("integer".into());
        code.minimum = Some(100);
        code.maximum = Some(599);
        let plan = ValuePlan::new(&code, None, &mut rng);
        for _ in 0..100 {
            let value: i64 = plan.generate(&mut rng).parse().unwrap();
            assert!((100..=599).contains(&value), "{value}");
        }
    }

    #[test]
    fn enum_values_are_used() {
        let mut rng = Rng::with_seed(2);
        let mut kind = param("kind");
        kind.enum_values = vec!["daily".into(), "weekly".into()];
        let plan = ValuePlan::new(&kind, None, &mut rng);
        for _ in 0..20 {
            let value = plan.generate(&mut rng);
            assert!(value == "daily" || value == "weekly", "{value}");
        }
    }

    #[test]
    fn pattern_replaces_name_based_value() {
        let mut rng = Rng::with_seed(4);
        let mut sid = param("Sid");
        sid.pattern = Some("^MG[0-9a-fA-F]{32}$".into());
        let plan = ValuePlan::new(&sid, None, &mut rng);
        let value = plan.generate(&mut rng);
        assert!(value.starts_with("MG"), "{value}");
        assert_eq!(value.len(), 34, "{value}");
    }

    #[test]
    fn encode_segment_escapes_slash_and_space() {
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(encode_segment("user@example.com"), "user@example.com");
        assert_eq!(encode_segment("N.Y.%20%2F%20Region"), "N.Y.%20%2F%20Region");
    }

    #[test]
    fn generated_shapes() {
        let mut rng = Rng::with_seed(5);
        assert_eq!(generate_style(ValueStyle::CommitSha, "", &mut rng).len(), 40);
        assert_eq!(generate_style(ValueStyle::Uuid, "", &mut rng).len(), 36);
        let file = generate_style(ValueStyle::FileName, "", &mut rng);
        assert!(file.contains('.'), "{file}");
        assert!(!file.contains('/'), "{file}");
    }
}
