//! Authentication templates: requests without a credential, with a made-up one, with
//! forged JWTs, and with JWTs signed under guessed secrets. Where the endpoint has a
//! credential, the first step sends the real one and must succeed, so that a refusal
//! later means the forged credential was refused and not that the endpoint is broken.

use super::build::{self, denied_step, step, with_credential_value};
use crate::generate::{AUTH_VAR, AuthType, Endpoint, GenContext, GenerateError, finish};
use crate::model::{Payload, PayloadSource, Severity, TestFile};

/// Builds the control step: the real credential must work.
fn control(endpoint: &Endpoint) -> crate::model::Step {
    step(build::authenticated(endpoint), "resp.status < 300")
}

pub fn no_credential(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    let mut test = build::test("BROKEN_AUTH_NO_CREDENTIAL", endpoint, Severity::High, &["BROKEN_AUTHENTICATION"]);
    if endpoint.auth.is_some() {
        test.test.push(control(endpoint));
    }
    test.test.push(denied_step(build::request(endpoint)));
    Ok(finish(test, endpoint, &[] as &[(&str, String)]))
}

pub fn invalid_token(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    let mut test = build::test("BROKEN_AUTH_INVALID_TOKEN", endpoint, Severity::High, &["BROKEN_AUTHENTICATION"]);
    if endpoint.auth.is_some() {
        test.test.push(control(endpoint));
    }
    let made_up = match endpoint.auth.as_ref().map(|a| a.auth_type) {
        Some(AuthType::Basic) => "Basic cGFsaXNhZGU6bm90LWEtcGFzc3dvcmQ=",
        Some(AuthType::SessionCookie) => "palisade-invalid-session",
        Some(AuthType::Header) => "palisade-invalid-credential",
        // A well-formed HS256 token whose signature is wrong for any real secret.
        Some(AuthType::Jwt) | None => {
            "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJwYWxpc2FkZSJ9.aW52YWxpZC1zaWduYXR1cmUtZm9yLXRlc3Rz"
        }
    };
    test.test.push(denied_step(with_credential_value(build::request(endpoint), endpoint, made_up)));
    Ok(finish(test, endpoint, &[] as &[(&str, String)]))
}

pub fn jwt_none(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    build::require_jwt(endpoint, "BROKEN_AUTH_JWT_NONE")?;
    let mut test = build::test("BROKEN_AUTH_JWT_NONE", endpoint, Severity::Critical, &["BROKEN_AUTHENTICATION", "JWT"]);
    test.test.push(control(endpoint));
    let forged = format!("{{{{jwt_none {AUTH_VAR}}}}}");
    test.test.push(denied_step(with_credential_value(build::request(endpoint), endpoint, &forged)));
    Ok(finish(test, endpoint, &[] as &[(&str, String)]))
}

pub fn jwt_expired(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    build::require_jwt(endpoint, "BROKEN_AUTH_JWT_EXPIRED")?;
    let mut test = build::test("BROKEN_AUTH_JWT_EXPIRED", endpoint, Severity::High, &["BROKEN_AUTHENTICATION", "JWT"]);
    test.test.push(control(endpoint));
    // The expired token must be signed correctly, because otherwise a refusal would only
    // show that the signature is checked. So the test needs a test environment's secret.
    let forged = format!("{{{{jwt_expired {AUTH_VAR} JWT_SECRET}}}}");
    test.test.push(denied_step(with_credential_value(build::request(endpoint), endpoint, &forged)));
    Ok(finish(test, endpoint, &[("JWT_SECRET", String::new())]))
}

pub fn weak_jwt_secret(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    build::require_jwt(endpoint, "WEAK_JWT_SECRET")?;
    let mut test = build::test("WEAK_JWT_SECRET", endpoint, Severity::Critical, &["BROKEN_AUTHENTICATION", "JWT"]);
    test.options.stop_on_failure = true;
    test.test.push(control(endpoint));
    let forged = format!("{{{{jwt_sign {AUTH_VAR} JWT_SECRET_GUESS}}}}");
    let mut guess = denied_step(with_credential_value(build::request(endpoint), endpoint, &forged));
    guess.payload.push(Payload { key: "JWT_SECRET_GUESS".into(), value: PayloadSource::Builtin("JWT_SECRETS".into()) });
    test.test.push(guess);
    Ok(finish(test, endpoint, &[] as &[(&str, String)]))
}
