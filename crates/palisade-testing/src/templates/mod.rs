//! Test templates: each builds a test for one kind of flaw from an endpoint and its
//! sample request. `palisade test generate --template NAME` runs one.

mod authn;
mod authz;
mod build;
mod exposure;
mod injection;

use crate::diagnostic::did_you_mean;
use crate::generate::{GenContext, GenerateError};
use crate::model::TestFile;

/// A template: a name, what it finds, and the function that builds the test.
pub struct Template {
    pub name: &'static str,
    pub summary: &'static str,
    build: fn(&GenContext) -> Result<TestFile, GenerateError>,
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template").field("name", &self.name).finish()
    }
}

impl Template {
    pub fn generate(&self, context: &GenContext) -> Result<TestFile, GenerateError> {
        (self.build)(context)
    }
}

/// Every template, in the order `palisade test templates` lists them.
pub const TEMPLATES: &[Template] = &[
    Template { name: "BOLA", summary: "one user reads another user's object (two users)", build: authz::bola },
    Template {
        name: "BOLA_ADMIN",
        summary: "an admin may read a user's object, another user may not",
        build: authz::bola_admin,
    },
    Template {
        name: "BOLA_MULTI_TENANT",
        summary: "a user of one tenant reads another tenant's object",
        build: authz::bola_multi_tenant,
    },
    Template { name: "BFLA", summary: "a regular user calls a function meant for admins", build: authz::bfla },
    Template {
        name: "BROKEN_AUTH_NO_CREDENTIAL",
        summary: "the endpoint answers without any credential",
        build: authn::no_credential,
    },
    Template {
        name: "BROKEN_AUTH_INVALID_TOKEN",
        summary: "the endpoint answers to a made-up token",
        build: authn::invalid_token,
    },
    Template {
        name: "BROKEN_AUTH_JWT_NONE",
        summary: "the endpoint accepts an unsigned JWT (alg: none)",
        build: authn::jwt_none,
    },
    Template {
        name: "BROKEN_AUTH_JWT_EXPIRED",
        summary: "the endpoint accepts an expired JWT",
        build: authn::jwt_expired,
    },
    Template {
        name: "WEAK_JWT_SECRET",
        summary: "the JWT signing secret is in a list of common secrets",
        build: authn::weak_jwt_secret,
    },
    Template {
        name: "SQLI_ERROR",
        summary: "SQL injection that shows as a database error",
        build: injection::sqli_error,
    },
    Template {
        name: "SQLI_TIME",
        summary: "SQL injection that shows as a delayed response",
        build: injection::sqli_time,
    },
    Template {
        name: "SQLI_AUTH_BYPASS",
        summary: "SQL injection in a login that signs in without a password",
        build: injection::sqli_auth_bypass,
    },
    Template {
        name: "XSS_REFLECTED",
        summary: "input echoed into HTML without escaping",
        build: injection::xss_reflected,
    },
    Template {
        name: "SSRF",
        summary: "the server fetches a URL the client gives (checked with a callback listener)",
        build: injection::ssrf,
    },
    Template {
        name: "PATH_TRAVERSAL",
        summary: "`../` in a file name reads files outside the served directory",
        build: injection::path_traversal,
    },
    Template {
        name: "COMMAND_INJECTION",
        summary: "shell syntax in a parameter runs a command",
        build: injection::command_injection,
    },
    Template {
        name: "OPEN_REDIRECT",
        summary: "the endpoint redirects to any URL it is given",
        build: injection::open_redirect,
    },
    Template {
        name: "MASS_ASSIGNMENT",
        summary: "privileged fields in a request body are written",
        build: exposure::mass_assignment,
    },
    Template {
        name: "RATE_LIMIT",
        summary: "many requests in a row are never answered with 429",
        build: exposure::rate_limit,
    },
    Template {
        name: "EXCESSIVE_DATA_EXPOSURE",
        summary: "the response holds passwords, SSNs, keys or card numbers",
        build: exposure::excessive_data,
    },
    Template { name: "HSTS", summary: "no Strict-Transport-Security header", build: exposure::hsts },
    Template { name: "CSP", summary: "no Content-Security-Policy header", build: exposure::csp },
    Template {
        name: "X_CONTENT_TYPE_OPTIONS",
        summary: "no `X-Content-Type-Options: nosniff` header",
        build: exposure::nosniff,
    },
    Template {
        name: "CORS_CREDENTIALS",
        summary: "CORS allows any origin together with credentials",
        build: exposure::cors,
    },
    Template {
        name: "VERBOSE_ERRORS",
        summary: "malformed input is answered with stack traces or internals",
        build: exposure::verbose_errors,
    },
    Template {
        name: "METHOD_OVERRIDE",
        summary: "an X-HTTP-Method-Override header reaches a method the caller may not use",
        build: exposure::method_override,
    },
    Template {
        name: "GRAPHQL_INTROSPECTION",
        summary: "GraphQL introspection is enabled",
        build: exposure::graphql_introspection,
    },
];

/// Finds a template by name, without case and with `-` read as `_`.
pub fn find(name: &str) -> Result<&'static Template, GenerateError> {
    let wanted = name.trim().to_ascii_uppercase().replace('-', "_");
    if let Some(template) = TEMPLATES.iter().find(|t| t.name == wanted) {
        return Ok(template);
    }
    let hint = match did_you_mean(&wanted, TEMPLATES.iter().map(|t| t.name)) {
        Some(suggestion) => format!(" (did you mean {suggestion}?)"),
        None => String::new(),
    };
    Err(GenerateError::UnknownTemplate { name: name.to_string(), hint })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_least_twenty_templates_with_unique_names() {
        assert!(TEMPLATES.len() >= 20);
        let mut names: Vec<&str> = TEMPLATES.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TEMPLATES.len());
    }

    #[test]
    fn find_accepts_variants() {
        assert_eq!(find("bola").unwrap().name, "BOLA");
        assert_eq!(find("sqli-time").unwrap().name, "SQLI_TIME");
        let error = find("SQLI_TIM").unwrap_err();
        assert!(error.to_string().contains("did you mean SQLI_TIME"), "{error}");
    }
}
