//! Authentication schemes seen on requests.

use serde::{Deserialize, Serialize};

/// How a request authenticated itself, as far as its headers, cookies and query show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthScheme {
    /// No credential of any kind.
    None,
    /// `Authorization: Basic`.
    Basic,
    /// `Authorization: Bearer` with an opaque token.
    Bearer,
    /// A JSON Web Token, as a bearer token or in a cookie.
    Jwt,
    /// An API key in a header such as `X-API-Key`.
    ApiKeyHeader,
    /// An API key in the query string, such as `?api_key=`.
    ApiKeyQuery,
    /// A session cookie such as `sessionid` or `JSESSIONID`.
    SessionCookie,
}

impl AuthScheme {
    pub const ALL: [AuthScheme; 7] = [
        AuthScheme::None,
        AuthScheme::Basic,
        AuthScheme::Bearer,
        AuthScheme::Jwt,
        AuthScheme::ApiKeyHeader,
        AuthScheme::ApiKeyQuery,
        AuthScheme::SessionCookie,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthScheme::None => "none",
            AuthScheme::Basic => "basic",
            AuthScheme::Bearer => "bearer",
            AuthScheme::Jwt => "jwt",
            AuthScheme::ApiKeyHeader => "api_key_header",
            AuthScheme::ApiKeyQuery => "api_key_query",
            AuthScheme::SessionCookie => "session_cookie",
        }
    }

    fn index(self) -> usize {
        AuthScheme::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

/// Requests per authentication scheme on one endpoint, and how many unauthenticated
/// requests succeeded. Adds up across raw endpoints and commits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthStats {
    /// Requests per scheme, indexed like [`AuthScheme::ALL`]. A request with two
    /// credentials counts for both.
    pub requests: [u64; 7],
    /// Requests without any credential that got a 2xx response.
    pub unauthenticated_success: u64,
}

impl AuthStats {
    pub fn record(&mut self, schemes: &[AuthScheme], status: Option<u16>) {
        for scheme in schemes {
            self.requests[scheme.index()] += 1;
        }
        let unauthenticated = schemes.iter().all(|s| *s == AuthScheme::None);
        if unauthenticated && status.is_some_and(|s| (200..300).contains(&s)) {
            self.unauthenticated_success += 1;
        }
    }

    pub fn merge(&mut self, other: &AuthStats) {
        for (total, add) in self.requests.iter_mut().zip(other.requests) {
            *total += add;
        }
        self.unauthenticated_success += other.unauthenticated_success;
    }

    pub fn count(&self, scheme: AuthScheme) -> u64 {
        self.requests[scheme.index()]
    }

    /// Schemes seen at least once, in [`AuthScheme::ALL`] order.
    pub fn schemes(&self) -> Vec<AuthScheme> {
        AuthScheme::ALL.into_iter().filter(|s| self.count(*s) > 0).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_counts_unauthenticated_success() {
        let mut stats = AuthStats::default();
        stats.record(&[AuthScheme::None], Some(200));
        stats.record(&[AuthScheme::None], Some(401));
        stats.record(&[AuthScheme::Jwt], Some(200));
        assert_eq!(stats.count(AuthScheme::None), 2);
        assert_eq!(stats.unauthenticated_success, 1);
        assert_eq!(stats.schemes(), vec![AuthScheme::None, AuthScheme::Jwt]);

        let mut total = AuthStats::default();
        total.merge(&stats);
        total.merge(&stats);
        assert_eq!(total.count(AuthScheme::Jwt), 2);
        assert_eq!(total.unauthenticated_success, 2);
    }
}
