//! Bearer tokens: HS256 JSON Web Tokens with the user id, role and tenant.
//!
//! Flaws in vulnerable mode: the signing secret is `secret`, a token with `alg: none` is
//! accepted without a signature, and the expiry is not checked.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

/// The signing secret of vulnerable mode, one of the first any JWT cracker tries.
pub const WEAK_SECRET: &str = "secret";

/// Lifetime of an issued token, in seconds.
const TOKEN_LIFETIME_SECS: u64 = 3600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    pub tenant: String,
    pub exp: u64,
}

pub fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn signature(input: &str, secret: &[u8]) -> String {
    // HMAC takes keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(input.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Issues a token for a user.
pub fn issue(sub: &str, role: &str, tenant: &str, secret: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let claims =
        Claims { sub: sub.into(), role: role.into(), tenant: tenant.into(), exp: now_secs() + TOKEN_LIFETIME_SECS };
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
    let input = format!("{header}.{payload}");
    let signature = signature(&input, secret);
    format!("{input}.{signature}")
}

/// Verifies the bearer token of a request.
pub fn verify(headers: &HeaderMap, secret: &[u8], safe: bool) -> Option<Claims> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?.trim();
    let mut parts = token.split('.');
    let (header, payload, sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }

    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    let claims: Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");

    if alg.eq_ignore_ascii_case("none") {
        // The flaw: an unsigned token is trusted.
        return (!safe).then_some(claims);
    }
    if alg != "HS256" {
        return None;
    }
    let expected = signature(&format!("{}.{}", token.split('.').next()?, token.split('.').nth(1)?), secret);
    if !constant_time_eq(expected.as_bytes(), sig.as_bytes()) {
        return None;
    }
    if safe && claims.exp <= now_secs() {
        return None;
    }
    Some(claims)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
        headers
    }

    #[test]
    fn issued_token_verifies() {
        let token = issue("1", "user", "tenant-a", b"k");
        let claims = verify(&headers(&token), b"k", true).unwrap();
        assert_eq!(claims.sub, "1");
        assert!(verify(&headers(&token), b"other", true).is_none());
    }

    #[test]
    fn unsigned_token_only_in_vulnerable_mode() {
        let payload = URL_SAFE_NO_PAD.encode(r#"{"sub":"3","role":"admin","tenant":"t","exp":1}"#);
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#);
        let token = format!("{header}.{payload}.");
        assert!(verify(&headers(&token), b"k", false).is_some());
        assert!(verify(&headers(&token), b"k", true).is_none());
    }
}
