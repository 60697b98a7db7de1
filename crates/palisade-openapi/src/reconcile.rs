//! Inventory against description: shadow endpoints (traffic the description does not
//! document), zombie endpoints (deprecated operations still called) and unused
//! operations (documented, never seen).

use std::collections::BTreeSet;

use palisade_core::inventory::Endpoint;
use serde::Serialize;

use crate::model::ApiSpec;

/// An inventory endpoint of a host the description covers, with no documented operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShadowEndpoint {
    pub endpoint_id: String,
    pub method: String,
    pub template: String,
    pub hits: u64,
    pub last_seen_ms: i64,
}

/// A deprecated operation that traffic still reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZombieEndpoint {
    pub endpoint_id: String,
    /// `GET /v1/users/{id}`, as the description writes it.
    pub operation: String,
    /// Pointer of the operation in the description.
    pub pointer: String,
    pub hits: u64,
    pub last_seen_ms: i64,
}

/// A documented operation that no inventory endpoint reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnusedOperation {
    pub operation: String,
    pub pointer: String,
    pub deprecated: bool,
}

/// The result of [`reconcile`], each list sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    pub shadow: Vec<ShadowEndpoint>,
    pub zombie: Vec<ZombieEndpoint>,
    pub unused: Vec<UnusedOperation>,
    /// `(endpoint id, operation pointer)` for every endpoint that matched an operation.
    pub documented: Vec<(String, String)>,
}

/// Sorts `endpoints` against `spec`. Endpoints of hosts the description does not name are
/// left out; a description without hosts covers every host. Each endpoint's template is
/// matched like a request path, so `/users/{userId}` reaches `/users/{id}` and never a
/// literal such as `/users/me`.
pub fn reconcile(spec: &ApiSpec, endpoints: &[Endpoint]) -> Reconciliation {
    let mut result = Reconciliation::default();
    let mut reached: BTreeSet<&str> = BTreeSet::new();

    for endpoint in endpoints {
        if !spec.host_matches(&endpoint.host) {
            continue;
        }
        match spec.match_operation(&endpoint.method, &endpoint.host, &endpoint.template) {
            Some(operation) => {
                reached.insert(&operation.pointer);
                result.documented.push((endpoint.id.clone(), operation.pointer.clone()));
                if operation.deprecated && endpoint.hits > 0 {
                    result.zombie.push(ZombieEndpoint {
                        endpoint_id: endpoint.id.clone(),
                        operation: operation.label(),
                        pointer: operation.pointer.clone(),
                        hits: endpoint.hits,
                        last_seen_ms: endpoint.last_seen_ms,
                    });
                }
            }
            None => result.shadow.push(ShadowEndpoint {
                endpoint_id: endpoint.id.clone(),
                method: endpoint.method.clone(),
                template: endpoint.template.clone(),
                hits: endpoint.hits,
                last_seen_ms: endpoint.last_seen_ms,
            }),
        }
    }
    for operation in &spec.operations {
        if !reached.contains(operation.pointer.as_str()) {
            result.unused.push(UnusedOperation {
                operation: operation.label(),
                pointer: operation.pointer.clone(),
                deprecated: operation.deprecated,
            });
        }
    }

    result.shadow.sort_by(|a, b| (&a.template, &a.method).cmp(&(&b.template, &b.method)));
    result.zombie.sort_by(|a, b| a.operation.cmp(&b.operation));
    result.unused.sort_by(|a, b| a.operation.cmp(&b.operation));
    result.documented.sort();
    result
}
