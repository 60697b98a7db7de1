//! Forging JSON Web Tokens for authentication tests: the unsigned `alg: none` form, a
//! token re-signed with a guessed HMAC secret, and an expired token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("invalid JWT: expected three base64url parts separated by dots")]
    Shape,
    #[error("invalid JWT: the {0} is not base64url-encoded JSON")]
    Part(&'static str),
}

/// A token split into its parts, with any `Bearer ` prefix kept aside.
struct Token {
    prefix: String,
    claims: Map<String, Value>,
    header: Map<String, Value>,
}

fn split(token: &str) -> Result<Token, JwtError> {
    let trimmed = token.trim();
    let (prefix, raw) = match trimmed.split_once(' ') {
        Some((scheme, rest)) => (format!("{scheme} "), rest.trim()),
        None => (String::new(), trimmed),
    };
    let parts: Vec<&str> = raw.split('.').collect();
    if parts.len() != 3 {
        return Err(JwtError::Shape);
    }
    let header = decode_part(parts[0]).ok_or(JwtError::Part("header"))?;
    let claims = decode_part(parts[1]).ok_or(JwtError::Part("payload"))?;
    Ok(Token { prefix, claims, header })
}

fn decode_part(part: &str) -> Option<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

fn encode_part(map: &Map<String, Value>) -> String {
    URL_SAFE_NO_PAD.encode(Value::Object(map.clone()).to_string())
}

/// Signs `header.payload` with HS256 and returns the whole token.
fn sign_hs256(header: &Map<String, Value>, claims: &Map<String, Value>, secret: &str) -> String {
    let signing_input = format!("{}.{}", encode_part(header), encode_part(claims));
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// Returns the token with `alg: none` and no signature, keeping its claims.
pub fn unsigned(token: &str) -> Result<String, JwtError> {
    let parsed = split(token)?;
    let mut header = parsed.header;
    header.insert("alg".into(), Value::String("none".into()));
    Ok(format!("{}{}.{}.", parsed.prefix, encode_part(&header), encode_part(&parsed.claims)))
}

/// Returns the token's claims signed again with HS256 under `secret`.
pub fn resigned(token: &str, secret: &str) -> Result<String, JwtError> {
    let parsed = split(token)?;
    let mut header = parsed.header;
    header.insert("alg".into(), Value::String("HS256".into()));
    Ok(format!("{}{}", parsed.prefix, sign_hs256(&header, &parsed.claims, secret)))
}

/// Returns the token with `exp` an hour before `now_secs` (and `iat` two hours before),
/// signed with HS256 under `secret`.
pub fn expired(token: &str, secret: &str, now_secs: u64) -> Result<String, JwtError> {
    let parsed = split(token)?;
    let mut claims = parsed.claims;
    claims.insert("exp".into(), Value::from(now_secs.saturating_sub(3600)));
    claims.insert("iat".into(), Value::from(now_secs.saturating_sub(7200)));
    let mut header = parsed.header;
    header.insert("alg".into(), Value::String("HS256".into()));
    Ok(format!("{}{}", parsed.prefix, sign_hs256(&header, &claims, secret)))
}

/// Signs `claims` with HS256 under `secret`; for tests and the demo API.
pub fn sign(claims: &Value, secret: &str) -> String {
    let mut header = Map::new();
    header.insert("alg".into(), Value::String("HS256".into()));
    header.insert("typ".into(), Value::String("JWT".into()));
    let claims = match claims {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    sign_hs256(&header, &claims, secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Header {"alg":"HS256","typ":"JWT"}, payload {"sub":"1234567890","name":"John Doe","iat":1516239022},
    // signed with "your-256-bit-secret": the example token of RFC 7519 tooling.
    const EXAMPLE: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

    #[test]
    fn resigned_with_same_secret_reproduces_signature() {
        let token = resigned(EXAMPLE, "your-256-bit-secret").unwrap();
        let signature = token.rsplit('.').next().unwrap();
        // Key order in the re-encoded header and payload is sorted, so compare by verifying
        // with an independent signer over the same input instead of the original bytes.
        let input = token.rsplit_once('.').unwrap().0;
        let mut mac = Hmac::<Sha256>::new_from_slice(b"your-256-bit-secret").unwrap();
        mac.update(input.as_bytes());
        assert_eq!(signature, URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()));
    }

    #[test]
    fn unsigned_keeps_claims_and_drops_signature() {
        let token = unsigned(&format!("Bearer {EXAMPLE}")).unwrap();
        assert!(token.starts_with("Bearer "));
        assert!(token.ends_with('.'));
        let parts: Vec<&str> = token["Bearer ".len()..].split('.').collect();
        assert_eq!(decode_part(parts[0]).unwrap()["alg"], json!("none"));
        assert_eq!(decode_part(parts[1]).unwrap()["sub"], json!("1234567890"));
    }

    #[test]
    fn expired_sets_past_exp() {
        let token = expired(EXAMPLE, "k", 10_000).unwrap();
        let claims = decode_part(token.split('.').nth(1).unwrap()).unwrap();
        assert_eq!(claims["exp"], json!(6400));
        assert_eq!(claims["iat"], json!(2800));
    }

    #[test]
    fn rejects_non_jwt() {
        assert_eq!(unsigned("abc").unwrap_err(), JwtError::Shape);
        assert_eq!(unsigned("a.b.c").unwrap_err(), JwtError::Part("header"));
    }
}
