//! Who is calling: API keys and tokens (`Authorization`), or dashboard sessions (a cookie
//! plus a CSRF token on every state change). Passwords are hashed with Argon2id.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::{HeaderMap, Method};
use palisade_core::access::Role;

/// Cookie that carries the dashboard session token.
pub const SESSION_COOKIE: &str = "palisade_session";
/// Header that state-changing requests of a session must carry.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The identity behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Key name or user name.
    pub name: String,
    pub role: Role,
    /// True for dashboard sessions, false for keys.
    pub session: bool,
    /// The session's CSRF token, for pages that render forms.
    pub csrf_token: Option<String>,
}

/// Hashes a password with Argon2id and a random salt, as a PHC string.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

/// Checks a password against a PHC string; false for any malformed hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
}

/// Generates a password of 20 random characters for first-run accounts.
pub fn generate_password() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no random numbers from the system: {e}"))?;
    Ok(bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect())
}

/// The key in `Authorization` (raw, as Metlo agents send it, or after `Bearer`) or in
/// `X-API-Key`.
pub fn key_credential(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(AUTHORIZATION).or_else(|| headers.get("x-api-key"))?.to_str().ok()?.trim();
    let secret = match raw.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => raw,
    };
    (!secret.is_empty()).then(|| secret.to_string())
}

/// The session token from the `palisade_session` cookie.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    for value in headers.get_all(COOKIE) {
        let Ok(text) = value.to_str() else {
            continue;
        };
        for pair in text.split(';') {
            if let Some((name, token)) = pair.trim().split_once('=')
                && name == SESSION_COOKIE
                && !token.is_empty()
            {
                return Some(token.to_string());
            }
        }
    }
    None
}

/// True for methods that change state and so need a CSRF token from sessions.
pub fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Compares two tokens in time that does not depend on where they first differ.
pub fn tokens_match(sent: &str, expected: &str) -> bool {
    let (sent, expected) = (sent.as_bytes(), expected.as_bytes());
    if sent.len() != expected.len() || expected.is_empty() {
        return false;
    }
    sent.iter().zip(expected).fold(0u8, |difference, (a, b)| difference | (a ^ b)) == 0
}

/// Builds the `Set-Cookie` value for a new session; `secure` adds `Secure`, for servers
/// reached over HTTPS.
pub fn session_cookie(token: &str, max_age_secs: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}")
}

/// Builds the `Set-Cookie` value that removes the session cookie.
pub fn expired_session_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}

/// True when the request reached Palisade over HTTPS through a proxy that says so.
pub fn is_https(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// Failed sign-ins per client address and per user name within the last minute; sign-in
/// is refused while either passes the limit.
pub struct LoginLimiter {
    max_failures_per_minute: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Keys the limiter forgets old entries beyond, so it stays bounded.
const MAX_LIMITER_KEYS: usize = 10_000;
const LOGIN_WINDOW: Duration = Duration::from_secs(60);

impl LoginLimiter {
    pub fn new(max_failures_per_minute: usize) -> Self {
        Self { max_failures_per_minute, failures: Mutex::new(HashMap::new()) }
    }

    /// True when any of `keys` has failed too often in the last minute.
    pub fn blocked(&self, keys: &[&str]) -> bool {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        keys.iter().any(|key| {
            failures.get_mut(*key).is_some_and(|times| {
                while times.front().is_some_and(|t| now.duration_since(*t) > LOGIN_WINDOW) {
                    times.pop_front();
                }
                times.len() >= self.max_failures_per_minute
            })
        })
    }

    pub fn record_failure(&self, keys: &[&str]) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() >= MAX_LIMITER_KEYS {
            let now = Instant::now();
            failures.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) <= LOGIN_WINDOW));
        }
        for key in keys {
            failures.entry(key.to_string()).or_default().push_back(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_round_trip() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn session_cookie_attributes() {
        let cookie = session_cookie("abc", 3600, true);
        assert!(cookie.starts_with("palisade_session=abc;"));
        for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Max-Age=3600", "Path=/"] {
            assert!(cookie.contains(attribute), "{cookie}");
        }
        assert!(!session_cookie("abc", 1, false).contains("Secure"));
    }

    #[test]
    fn token_from_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, "theme=dark; palisade_session=t0k3n; other=1".parse().unwrap());
        assert_eq!(session_token(&headers).as_deref(), Some("t0k3n"));
    }

    #[test]
    fn limiter_blocks_after_failures() {
        let limiter = LoginLimiter::new(3);
        for _ in 0..3 {
            assert!(!limiter.blocked(&["ip:1", "user:ada"]));
            limiter.record_failure(&["ip:1", "user:ada"]);
        }
        assert!(limiter.blocked(&["ip:1"]));
        assert!(limiter.blocked(&["user:ada"]));
        assert!(!limiter.blocked(&["ip:2", "user:bob"]));
    }

    #[test]
    fn generated_passwords_differ() {
        assert_ne!(generate_password().unwrap(), generate_password().unwrap());
        assert_eq!(generate_password().unwrap().len(), 20);
    }
}
