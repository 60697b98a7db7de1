//! Attribution of traces to actors: API key, JWT subject, other bearer token, session
//! cookie or client IP, in that order of preference.

use std::net::IpAddr;
use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD_INDIFFERENT;
use hmac::{Hmac, KeyInit, Mac};
use ipnet::IpNet;
use palisade_core::actor::{ActorKind, ActorRef};
use palisade_core::trace::header_value;
use palisade_core::{Request, Trace};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::auth::{compact_name, is_jwt};
use crate::config::ConfigError;

/// Longest JWT subject kept, in characters; longer subjects are cut.
const MAX_SUBJECT_CHARS: usize = 128;
/// Hex digits of the keyed hash that identifies key and session actors.
const HASH_HEX_DIGITS: usize = 16;

/// The `actors:` section of the configuration file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ActorConfig {
    /// Proxies (IP addresses or CIDR ranges) whose `X-Forwarded-For` header is believed.
    /// From any other client the header is ignored, because clients can write anything
    /// in it.
    pub trusted_proxies: Vec<String>,
}

/// Attributes traces to actors.
#[derive(Debug, Clone, Default)]
pub struct ActorResolver {
    trusted: Vec<IpNet>,
    /// Key of the hashes that stand for API keys and session ids.
    hash_key: Vec<u8>,
    /// The HMAC with `hash_key` already absorbed, set up on first use, so each hash only
    /// adds the credential.
    keyed_mac: OnceLock<Hmac<Sha256>>,
}

impl ActorResolver {
    /// Compiles the configuration. `hash_key` keys the hashes of credentials, so actor ids
    /// cannot be turned back into keys by guessing.
    pub fn new(config: &ActorConfig, hash_key: Vec<u8>) -> Result<Self, ConfigError> {
        let mut trusted = Vec::new();
        for (i, text) in config.trusted_proxies.iter().enumerate() {
            let net = text
                .parse::<IpNet>()
                .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    ConfigError::Invalid(format!(
                        "invalid actors.trusted_proxies[{i}] {text:?}: expected an IP address or CIDR range such as 10.0.0.0/8"
                    ))
                })?;
            trusted.push(net);
        }
        Ok(Self { trusted, hash_key, keyed_mac: OnceLock::new() })
    }

    /// Returns the actor of `trace`.
    pub fn resolve(&self, trace: &Trace) -> ActorRef {
        self.resolve_with(trace, &mut ActorMemo::default())
    }

    /// Like [`resolve`](Self::resolve), looking credentials up in `memo` first.
    pub fn resolve_with(&self, trace: &Trace, memo: &mut ActorMemo) -> ActorRef {
        let ip = self.client_ip(trace);
        let request = &trace.request;
        let (kind, value) = if let Some(key) = api_key(request) {
            (ActorKind::ApiKey, memo.keyed_hash(self, key))
        } else if let Some(subject) = memo.jwt_subject(request) {
            (ActorKind::User, subject)
        } else if let Some(token) = bearer_token(request) {
            (ActorKind::ApiKey, memo.keyed_hash(self, token))
        } else if let Some(session) = session_cookie(request) {
            (ActorKind::Session, memo.keyed_hash(self, session))
        } else {
            (ActorKind::Ip, ip.clone().unwrap_or_else(|| "unknown".to_string()))
        };
        ActorRef { kind, id: format!("{}:{value}", kind.as_str()), ip }
    }

    /// Returns the client address: the peer, or, when the peer is a trusted proxy, the
    /// right-most address in `X-Forwarded-For` that is not itself a trusted proxy.
    pub fn client_ip(&self, trace: &Trace) -> Option<String> {
        let peer = trace.meta.client.as_ref().map(|p| p.address.clone());
        let peer_ip = peer.as_deref().and_then(|p| p.parse::<IpAddr>().ok());
        let Some(peer_ip) = peer_ip else {
            return peer;
        };
        if !self.is_trusted(peer_ip) {
            return Some(peer_ip.to_string());
        }
        let forwarded = header_value(&trace.request.headers, "x-forwarded-for").unwrap_or("");
        for hop in forwarded.rsplit(',') {
            let Ok(address) = hop.trim().parse::<IpAddr>() else {
                break;
            };
            if !self.is_trusted(address) {
                return Some(address.to_string());
            }
        }
        Some(peer_ip.to_string())
    }

    fn is_trusted(&self, address: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(&address))
    }

    fn keyed_hash(&self, credential: &str) -> String {
        let keyed = self
            .keyed_mac
            .get_or_init(|| Hmac::<Sha256>::new_from_slice(&self.hash_key).expect("HMAC accepts keys of any length"));
        let mut mac = keyed.clone();
        mac.update(credential.as_bytes());
        let digest = mac.finalize().into_bytes();
        hex::encode(&digest[..HASH_HEX_DIGITS / 2])
    }
}

/// Maximum number of credentials each map of [`ActorMemo`] remembers. Past it the map
/// starts over.
const MAX_REMEMBERED_CREDENTIALS: usize = 1024;

/// Memo of what [`ActorResolver`] derives from credentials, which clients send again with
/// every request: the keyed hashes of API keys and session ids, and the subjects of JWTs.
/// Hashing and decoding cost far more than a lookup. A memo must only be used with one
/// resolver, because the hashes depend on its key.
#[derive(Debug, Default)]
pub struct ActorMemo {
    hashes: hashbrown::HashMap<Box<str>, String>,
    subjects: hashbrown::HashMap<Box<str>, Option<String>>,
}

impl ActorMemo {
    fn keyed_hash(&mut self, resolver: &ActorResolver, credential: &str) -> String {
        if let Some(hash) = self.hashes.get(credential) {
            return hash.clone();
        }
        let hash = resolver.keyed_hash(credential);
        if self.hashes.len() >= MAX_REMEMBERED_CREDENTIALS {
            self.hashes.clear();
        }
        self.hashes.insert(credential.into(), hash.clone());
        hash
    }

    fn jwt_subject(&mut self, request: &Request) -> Option<String> {
        let token = jwt_token(request)?;
        if let Some(subject) = self.subjects.get(token) {
            return subject.clone();
        }
        // Tokens whose payload is no JSON are not remembered. Most of them fail within
        // their first bytes, so deciding again costs less than remembering them.
        let claims = token_claims(token)?;
        let subject = claims_subject(&claims);
        if self.subjects.len() >= MAX_REMEMBERED_CREDENTIALS {
            self.subjects.clear();
        }
        self.subjects.insert(token.into(), subject.clone());
        subject
    }
}

/// An API key from a key header or query parameter.
fn api_key(request: &Request) -> Option<&str> {
    let mut compact = String::new();
    for header in &request.headers {
        let name = compact_name(&header.name, &mut compact);
        if matches!(name, "xapikey" | "apikey" | "xapitoken" | "apitoken") && !header.value.trim().is_empty() {
            return Some(header.value.trim());
        }
    }
    let key_names = ["api_key", "apikey", "api-key"];
    request
        .query
        .iter()
        .find(|p| key_names.iter().any(|key| p.name.eq_ignore_ascii_case(key)) && !p.value.is_empty())
        .map(|p| p.value.as_str())
}

/// Returns the token of an `Authorization: Bearer`, `Token` or `ApiKey` header: an opaque
/// access token, or a JWT without a subject. Basic credentials are left out, because one
/// client trying many user names must stay one actor.
fn bearer_token(request: &Request) -> Option<&str> {
    let (scheme, token) = header_value(&request.headers, "authorization")?.trim().split_once(' ')?;
    let token = token.trim();
    let scheme_ok = ["bearer", "token", "apikey"].iter().any(|s| scheme.eq_ignore_ascii_case(s));
    (scheme_ok && !token.is_empty()).then_some(token)
}

/// Returns the JWT bearer token, or else the first JWT cookie.
fn jwt_token(request: &Request) -> Option<&str> {
    let bearer = header_value(&request.headers, "authorization")
        .and_then(|value| value.split_once(' ').map(|(_, token)| token.trim()))
        .filter(|token| is_jwt(token));
    bearer.or_else(|| {
        header_value(&request.headers, "cookie").and_then(|cookies| {
            cookies
                .split(';')
                .filter_map(|pair| pair.split_once('='))
                .map(|(_, value)| value.trim())
                .find(|v| is_jwt(v))
        })
    })
}

/// Decodes the claims of a JWT, its payload parsed as JSON, without verifying the
/// signature.
fn token_claims(token: &str) -> Option<serde_json::Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD_INDIFFERENT.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Returns the `sub` claim, without control characters and cut at [`MAX_SUBJECT_CHARS`].
fn claims_subject(claims: &serde_json::Value) -> Option<String> {
    let subject = match claims.get("sub")? {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Number(number) => number.to_string(),
        _ => return None,
    };
    let subject: String = subject.chars().filter(|c| !c.is_control()).take(MAX_SUBJECT_CHARS).collect();
    (!subject.is_empty()).then_some(subject)
}

/// The value of a session cookie (names as in [`crate::auth`]).
fn session_cookie(request: &Request) -> Option<&str> {
    let cookies = header_value(&request.headers, "cookie")?;
    cookies.split(';').filter_map(|pair| pair.trim().split_once('=')).find_map(|(name, value)| {
        let name = name.to_ascii_lowercase();
        let session = matches!(
            name.as_str(),
            "session" | "sessionid" | "session_id" | "sid" | "connect.sid" | "jsessionid" | "phpsessid" | "_session_id"
        ) || name.ends_with("session")
            || name.ends_with("_sess");
        (session && !value.is_empty()).then_some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::{Body, Header, Peer, QueryParam, TraceMeta, TraceSource};

    fn trace(client: &str, headers: &[(&str, &str)], query: &[(&str, &str)]) -> Trace {
        Trace {
            request: Request {
                method: "GET".into(),
                scheme: "https".into(),
                host: "h".into(),
                path: "/".into(),
                query: query.iter().map(|(n, v)| QueryParam { name: n.to_string(), value: v.to_string() }).collect(),
                headers: headers.iter().map(|(n, v)| Header::new(*n, *v)).collect(),
                content_type: None,
                body: Body::default(),
            },
            response: None,
            meta: TraceMeta {
                start_ms: 0,
                duration_us: None,
                client: Some(Peer { address: client.into(), port: None }),
                server: None,
                source: TraceSource::Native,
                environment: None,
                route: None,
            },
            agent: None,
        }
    }

    fn resolver(trusted: &[&str]) -> ActorResolver {
        let config = ActorConfig { trusted_proxies: trusted.iter().map(|s| s.to_string()).collect() };
        ActorResolver::new(&config, b"secret".to_vec()).unwrap()
    }

    // {"alg":"none"}.{"sub":"alice"}.
    const ALICE: &str = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.c2ln";

    #[test]
    fn actor_kinds_in_order_of_preference() {
        let resolver = resolver(&[]);
        let bearer = format!("Bearer {ALICE}");
        // (headers, query parameters, expected kind)
        type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<(&'a str, &'a str)>, ActorKind);
        let cases: Vec<Case<'_>> = vec![
            (vec![("X-API-Key", "k1"), ("Authorization", bearer.as_str())], vec![], ActorKind::ApiKey),
            (vec![], vec![("api_key", "k1")], ActorKind::ApiKey),
            (vec![("Authorization", bearer.as_str()), ("Cookie", "sid=s1")], vec![], ActorKind::User),
            (vec![("Authorization", "Bearer tok-alice"), ("Cookie", "sid=s1")], vec![], ActorKind::ApiKey),
            (vec![("Authorization", "Token 9944b09199c62bcf9418ad846dd0e4bb")], vec![], ActorKind::ApiKey),
            (vec![("Authorization", "Basic YWxpY2U6c2VjcmV0"), ("Cookie", "sid=s1")], vec![], ActorKind::Session),
            (vec![("Authorization", "Bearer ")], vec![], ActorKind::Ip),
            (vec![("Cookie", "theme=dark; sid=s1")], vec![], ActorKind::Session),
            (vec![("Cookie", "theme=dark")], vec![], ActorKind::Ip),
        ];
        for (headers, query, kind) in cases {
            assert_eq!(resolver.resolve(&trace("10.0.0.1", &headers, &query)).kind, kind, "{headers:?} {query:?}");
        }
    }

    #[test]
    fn ids_hide_credentials() {
        let resolver = resolver(&[]);
        let actor = resolver.resolve(&trace("10.0.0.1", &[("X-API-Key", "very-secret-key")], &[]));
        assert!(actor.id.starts_with("api_key:"));
        assert!(!actor.id.contains("very-secret-key"));
        assert_eq!(actor.id.len(), "api_key:".len() + HASH_HEX_DIGITS);
        let same = resolver.resolve(&trace("10.0.0.2", &[("X-API-Key", "very-secret-key")], &[]));
        assert_eq!(actor.id, same.id);
        let other_key = ActorResolver::new(&ActorConfig::default(), b"other".to_vec()).unwrap();
        assert_ne!(other_key.resolve(&trace("10.0.0.1", &[("X-API-Key", "very-secret-key")], &[])).id, actor.id);

        let bearer = format!("Bearer {ALICE}");
        assert_eq!(resolver.resolve(&trace("10.0.0.1", &[("Authorization", &bearer)], &[])).id, "user:alice");

        let token = resolver.resolve(&trace("10.0.0.1", &[("Authorization", "Bearer tok-alice-1234")], &[]));
        assert_eq!(token.id, format!("api_key:{}", resolver.keyed_hash("tok-alice-1234")));
        let other_token = resolver.resolve(&trace("10.0.0.1", &[("Authorization", "Bearer tok-bob-5678")], &[]));
        assert_ne!(other_token.id, token.id);
    }

    #[test]
    fn keyed_hash_is_hmac_prefix() {
        let resolver = resolver(&[]);
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(b"very-secret-key");
        let expected = hex::encode(mac.finalize().into_bytes())[..HASH_HEX_DIGITS].to_string();
        assert_eq!(resolver.keyed_hash("very-secret-key"), expected);
        assert_eq!(resolver.keyed_hash("very-secret-key"), expected, "the keyed MAC is reused unchanged");
    }

    #[test]
    fn memo_resolves_as_without() {
        let resolver = resolver(&[]);
        let bearer = format!("Bearer {ALICE}");
        let garbage = "Bearer eyJhbGciOiJub25lIn0.bm90IGpzb24.c2ln";
        let traces = [
            trace("10.0.0.1", &[("X-API-Key", "k1")], &[]),
            trace("10.0.0.1", &[("Authorization", &bearer)], &[]),
            trace("10.0.0.1", &[("Authorization", garbage), ("Cookie", "sid=s1")], &[]),
            trace("10.0.0.2", &[("Cookie", "sid=s2")], &[]),
        ];
        let mut memo = ActorMemo::default();
        for round in 0..2 {
            for trace in &traces {
                assert_eq!(resolver.resolve_with(trace, &mut memo), resolver.resolve(trace), "round {round}");
            }
        }
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let untrusted = resolver(&[]);
        let spoofed = untrusted.resolve(&trace("203.0.113.9", &[("X-Forwarded-For", "1.2.3.4")], &[]));
        assert_eq!(spoofed.id, "ip:203.0.113.9");

        let trusted = resolver(&["10.0.0.0/8"]);
        let behind = trusted.resolve(&trace("10.0.0.5", &[("X-Forwarded-For", "198.51.100.7, 10.0.0.9")], &[]));
        assert_eq!(behind.id, "ip:198.51.100.7");
        let no_header = trusted.resolve(&trace("10.0.0.5", &[], &[]));
        assert_eq!(no_header.id, "ip:10.0.0.5");
    }

    #[test]
    fn bad_proxy_is_a_config_error() {
        let config = ActorConfig { trusted_proxies: vec!["10.0.0.0/33".into()] };
        let error = ActorResolver::new(&config, vec![]).unwrap_err().to_string();
        assert!(error.contains("actors.trusted_proxies[0]"), "{error}");
    }
}
