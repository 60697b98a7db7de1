use super::*;

#[test]
fn median_size_is_near_two_kilobytes() {
    let traces = generate(5_000, 1);
    let median = median_size(&traces);
    assert!((1_700..=2_400).contains(&median), "median trace size {median} bytes");
}

#[test]
fn same_seed_same_traces() {
    assert_eq!(generate(300, 7), generate(300, 7));
}

#[test]
fn different_seed_different_traces() {
    assert_ne!(generate(50, 7), generate(50, 8));
}

#[test]
fn traces_are_valid() {
    let limits = palisade_core::Limits::default();
    for trace in generate(2_000, 3) {
        assert_eq!(trace.validate(&limits), Ok(()), "{} {}", trace.request.method, trace.request.path);
    }
}

#[test]
fn json_bodies_parse() {
    let traces = generate(1_000, 4);
    let bodies = json_bodies(&traces);
    assert!(bodies.len() > 1_000, "{} JSON bodies", bodies.len());
    for body in bodies {
        assert!(serde_json::from_slice::<serde_json::Value>(body).is_ok(), "{}", String::from_utf8_lossy(body));
    }
}

#[test]
fn mix_has_every_kind_of_trace() {
    let traces = generate(2_000, 5);
    let count = |f: &dyn Fn(&Trace) -> bool| traces.iter().filter(|t| f(t)).count();
    let status = |t: &Trace| t.response.as_ref().map_or(0, |r| r.status);

    assert!(count(&|t| t.request.method == "GET") > 800);
    assert!(count(&|t| t.request.method == "POST" && is_json(t.request.content_type.as_deref())) > 100);
    assert!(count(&|t| t.request.content_type.as_deref() == Some("application/x-www-form-urlencoded")) > 30);
    assert!(count(&|t| status(t) >= 400) > 50);
    assert!(count(&|t| t.request.method == "DELETE") > 20);
    let hosts: std::collections::HashSet<&str> = traces.iter().map(|t| t.request.host.as_str()).collect();
    assert_eq!(hosts.len(), HOSTS);
}

#[test]
fn trace_size_counts_wire_text() {
    let trace = &generate(1, 9)[0];
    let headers: usize = trace.request.headers.iter().map(|h| h.name.len() + h.value.len() + 4).sum();
    assert!(trace_size(trace) > headers + trace.request.body.bytes.len());
}
