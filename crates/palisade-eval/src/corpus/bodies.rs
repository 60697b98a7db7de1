//! JSON bodies of the synthetic corpus: resource objects, lists, partial updates, tokens
//! and errors.

use fastrand::Rng;
use serde_json::{Map, Value, json};

const WORDS: &[&str] = &[
    "silver", "lantern", "harbor", "summit", "river", "forest", "meadow", "canyon", "comet", "orbit", "nebula",
    "falcon", "otter", "maple", "cedar", "ember", "quiet", "rapid", "green", "bright", "little", "ancient", "blue",
    "bold", "brave", "calm", "clever", "cosmic", "crimson", "golden", "hidden", "lucky", "misty", "noble", "swift",
];
const FIRST_NAMES: &[&str] = &["maria", "james", "wei", "aisha", "lucas", "sofia", "omar", "yuki", "elena", "david"];
const LAST_NAMES: &[&str] = &["lopez", "smith", "zhang", "khan", "mueller", "rossi", "tanaka", "novak", "silva"];
const CITIES: &[&str] = &["London", "Paris", "Berlin", "Madrid", "Lisbon", "Toronto", "Osaka", "Nairobi", "Lima"];
const COUNTRIES: &[&str] = &["GB", "FR", "DE", "ES", "PT", "CA", "JP", "KE", "PE"];
const STATUSES: &[&str] = &["active", "pending", "closed", "archived", "draft"];
const CURRENCIES: &[&str] = &["usd", "eur", "gbp", "jpy"];

/// Optional fields an object may carry beyond `id`, `object`, timestamps and `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Extra {
    Name,
    Email,
    Phone,
    Amount,
    Description,
    Address,
    Tags,
    Metadata,
    Owner,
    LineItems,
    Url,
    IpAddress,
    Verified,
    Score,
}

const EXTRAS: [Extra; 14] = [
    Extra::Name,
    Extra::Email,
    Extra::Phone,
    Extra::Amount,
    Extra::Description,
    Extra::Address,
    Extra::Tags,
    Extra::Metadata,
    Extra::Owner,
    Extra::LineItems,
    Extra::Url,
    Extra::IpAddress,
    Extra::Verified,
    Extra::Score,
];

/// The fields of one resource's objects, fixed per resource as an API's schema is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectShape {
    extras: Vec<Extra>,
}

impl ObjectShape {
    pub fn random(rng: &mut Rng) -> Self {
        let count = rng.usize(7..=11);
        Self { extras: rng.choose_multiple(EXTRAS.iter().copied(), count) }
    }

    /// Returns the shape of a small object, as for comments or list items of a
    /// sub-resource.
    pub fn small() -> Self {
        Self { extras: vec![Extra::Name, Extra::Description] }
    }
}

pub fn word(rng: &mut Rng) -> &'static str {
    WORDS[rng.usize(..WORDS.len())]
}

pub fn alphanumeric(rng: &mut Rng, length: usize) -> String {
    (0..length).map(|_| rng.alphanumeric()).collect()
}

pub fn uuid(rng: &mut Rng) -> String {
    let h: String = (0..32).map(|_| rng.digit(16)).collect();
    format!("{}-{}-4{}-a{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
}

/// Three base64url parts the length of a typical signed JWT; not a valid token.
pub fn jwt_like(rng: &mut Rng) -> String {
    format!("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.{}.{}", alphanumeric(rng, 120), alphanumeric(rng, 86))
}

fn timestamp(rng: &mut Rng) -> String {
    format!(
        "2024-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        rng.u8(1..=12),
        rng.u8(1..=28),
        rng.u8(0..24),
        rng.u8(0..60),
        rng.u8(0..60)
    )
}

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut text = String::new();
    for i in 0..words {
        if i > 0 {
            text.push(' ');
        }
        text.push_str(word(rng));
    }
    text
}

fn person(rng: &mut Rng) -> (String, String) {
    let first = FIRST_NAMES[rng.usize(..FIRST_NAMES.len())];
    let last = LAST_NAMES[rng.usize(..LAST_NAMES.len())];
    (format!("{first} {last}"), format!("{first}.{last}@example.com"))
}

fn extra_value(extra: Extra, rng: &mut Rng) -> (&'static str, Value) {
    match extra {
        Extra::Name => ("name", json!(person(rng).0)),
        Extra::Email => ("email", json!(person(rng).1)),
        Extra::Phone => ("phone", json!(format!("+44 20 7946 {:04}", rng.u16(0..10_000)))),
        Extra::Amount => ("amount", json!({"value": rng.u32(100..500_000), "currency": CURRENCIES[rng.usize(..4)]})),
        Extra::Description => {
            let words = rng.usize(12..40);
            ("description", json!(sentence(rng, words)))
        }
        Extra::Address => (
            "address",
            json!({
                "line1": format!("{} {} Street", rng.u16(1..400), word(rng)),
                "city": CITIES[rng.usize(..CITIES.len())],
                "postal_code": format!("{:05}", rng.u32(1000..99_999)),
                "country": COUNTRIES[rng.usize(..COUNTRIES.len())],
            }),
        ),
        Extra::Tags => ("tags", Value::Array((0..rng.usize(1..=4)).map(|_| json!(word(rng))).collect())),
        Extra::Metadata => {
            let mut map = Map::new();
            for _ in 0..rng.usize(2..=4) {
                map.insert(word(rng).to_string(), json!(sentence(rng, 2)));
            }
            ("metadata", Value::Object(map))
        }
        Extra::Owner => {
            let (name, email) = person(rng);
            ("owner", json!({"id": rng.u32(1..1_000_000), "name": name, "email": email}))
        }
        Extra::LineItems => (
            "line_items",
            Value::Array(
                (0..rng.usize(1..=3))
                    .map(|_| {
                        json!({
                            "sku": format!("SKU-{:06}", rng.u32(0..1_000_000)),
                            "quantity": rng.u8(1..10),
                            "unit_price": rng.u32(100..20_000),
                        })
                    })
                    .collect(),
            ),
        ),
        Extra::Url => ("url", json!(format!("https://cdn.example.com/{}/{}.png", word(rng), alphanumeric(rng, 10)))),
        Extra::IpAddress => ("ip_address", json!(format!("198.51.100.{}", rng.u8(1..255)))),
        Extra::Verified => ("verified", json!(rng.bool())),
        Extra::Score => ("score", json!((rng.f64() * 1000.0).round() / 10.0)),
    }
}

fn object(shape: &ObjectShape, rng: &mut Rng) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(rng.u32(1..5_000_000)));
    map.insert("status".into(), json!(STATUSES[rng.usize(..STATUSES.len())]));
    map.insert("created_at".into(), json!(timestamp(rng)));
    map.insert("updated_at".into(), json!(timestamp(rng)));
    map.insert("reference".into(), json!(format!("REF-2024-{:06}", rng.u32(0..1_000_000))));
    let link = format!("https://api.example.com/v1/objects/{}", alphanumeric(rng, 16));
    map.insert("links".into(), json!({"self": link.clone(), "history": format!("{link}/history")}));
    for &extra in &shape.extras {
        let (key, value) = extra_value(extra, rng);
        map.insert(key.into(), value);
    }
    Value::Object(map)
}

pub fn object_body(shape: &ObjectShape, rng: &mut Rng) -> Vec<u8> {
    to_bytes(&object(shape, rng))
}

/// `{"data": [...], "has_more": ..., "total": ...}` with `count` objects.
pub fn list_body(shape: &ObjectShape, count: usize, rng: &mut Rng) -> Vec<u8> {
    let data: Vec<Value> = (0..count).map(|_| object(shape, rng)).collect();
    to_bytes(&json!({"data": data, "has_more": rng.bool(), "total": rng.u32(0..10_000)}))
}

/// Builds a request body with at most `fields` of the shape's fields, as a create or
/// update sends.
pub fn partial_body(shape: &ObjectShape, fields: usize, rng: &mut Rng) -> Vec<u8> {
    let mut map = Map::new();
    map.insert("status".into(), json!(STATUSES[rng.usize(..STATUSES.len())]));
    for &extra in shape.extras.iter().take(fields) {
        let (key, value) = extra_value(extra, rng);
        map.insert(key.into(), value);
    }
    to_bytes(&Value::Object(map))
}

pub fn token_body(rng: &mut Rng) -> Vec<u8> {
    to_bytes(&json!({
        "access_token": jwt_like(rng),
        "token_type": "Bearer",
        "expires_in": 3600,
        "refresh_token": alphanumeric(rng, 40),
        "scope": "read write",
    }))
}

pub fn error_body(status: u16, rng: &mut Rng) -> Vec<u8> {
    let code = match status {
        400 => "invalid_request",
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        422 => "validation_failed",
        429 => "rate_limited",
        _ => "internal_error",
    };
    to_bytes(&json!({"error": {"code": code, "message": sentence(rng, 6), "request_id": uuid(rng)}}))
}

fn to_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("a serde_json::Value always serialises")
}
