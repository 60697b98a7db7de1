use super::*;

fn observe<'a>(
    behaviour: &mut Behaviour,
    actor: &'a str,
    at_ms: i64,
    path: &'a str,
    status: u16,
    ids: Vec<&'a str>,
) -> Vec<&'static str> {
    let observation = Observation {
        actor,
        at_ms,
        raw_id: 1,
        ids,
        path,
        status: Some(status),
        login: is_login_path(path),
        username: None,
        injection: false,
    };
    behaviour.observe(&observation).iter().map(|e| e.class).collect()
}

#[test]
fn not_found_scanning_fires_once_per_window() {
    let mut behaviour = Behaviour::new(BehaviourConfig::default());
    let paths: Vec<String> = (0..40).map(|i| format!("/admin{i}.php")).collect();
    let mut fired = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        fired.extend(observe(&mut behaviour, "ip:1", i as i64 * 100, path, 404, vec![]));
    }
    assert_eq!(fired, vec![classes::NOT_FOUND_SCANNING]);
}

#[test]
fn not_found_on_one_path_is_not_scanning() {
    let mut behaviour = Behaviour::new(BehaviourConfig::default());
    let mut fired = Vec::new();
    for i in 0..40 {
        fired.extend(observe(&mut behaviour, "ip:1", i * 100, "/favicon.ico", 404, vec![]));
    }
    assert!(fired.is_empty());
}

#[test]
fn sequential_ids_are_enumeration() {
    let mut behaviour = Behaviour::new(BehaviourConfig::default());
    let ids: Vec<String> = (100..115).map(|i| i.to_string()).collect();
    let mut fired = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        fired.extend(observe(&mut behaviour, "user:mallory", i as i64 * 1000, "/orders/x", 200, vec![id.as_str()]));
    }
    assert_eq!(fired, vec![classes::OBJECT_ENUMERATION]);
}

#[test]
fn many_ids_versus_peers() {
    let mut behaviour = Behaviour::new(BehaviourConfig::default());
    // Three ordinary users read a few orders each.
    for user in ["user:a", "user:b", "user:c"] {
        for id in ["7", "19", "42"] {
            assert!(observe(&mut behaviour, user, 0, "/orders/x", 200, vec![id]).is_empty());
        }
    }
    // One actor reads 25 scattered ids.
    let ids: Vec<String> = (0..25).map(|i| (i * 37 + 5).to_string()).collect();
    let mut fired = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        fired.extend(observe(&mut behaviour, "user:mallory", i as i64 * 1000, "/orders/x", 200, vec![id.as_str()]));
    }
    assert_eq!(fired, vec![classes::OBJECT_ENUMERATION]);
}

#[test]
fn ordinary_reading_is_not_enumeration() {
    let mut behaviour = Behaviour::new(BehaviourConfig::default());
    let mut fired = Vec::new();
    for i in 0..15 {
        let id = ["3", "9", "12", "40"][i % 4];
        fired.extend(observe(&mut behaviour, "user:a", i as i64 * 1000, "/orders/x", 200, vec![id]));
    }
    assert!(fired.is_empty());
}

#[test]
fn failed_logins_are_brute_force() {
    let mut behaviour = Behaviour::new(BehaviourConfig::default());
    let mut fired = Vec::new();
    for i in 0..12 {
        fired.extend(observe(&mut behaviour, "ip:9", i * 1000, "/api/login", 401, vec![]));
    }
    assert_eq!(fired, vec![classes::BRUTE_FORCE]);

    let mut quiet = Behaviour::new(BehaviourConfig::default());
    for i in 0..5 {
        assert!(observe(&mut quiet, "ip:9", i * 1000, "/api/login", 401, vec![]).is_empty());
    }
}

#[test]
fn many_usernames_are_credential_stuffing() {
    let mut behaviour = Behaviour::new(BehaviourConfig::default());
    let mut fired = Vec::new();
    for i in 0..6 {
        let observation = Observation {
            actor: "ip:9",
            at_ms: i * 1000,
            raw_id: 2,
            ids: vec![],
            path: "/api/login",
            status: Some(401),
            login: true,
            username: Some(format!("user{i}@example.com")),
            injection: false,
        };
        fired.extend(behaviour.observe(&observation).into_iter().map(|e| e.class));
    }
    assert_eq!(fired, vec![classes::CREDENTIAL_STUFFING]);
}

#[test]
fn errors_after_injection_are_a_burst() {
    let mut behaviour = Behaviour::new(BehaviourConfig::default());
    let mut observation = Observation {
        actor: "ip:7",
        at_ms: 0,
        raw_id: 3,
        ids: vec![],
        path: "/q",
        status: Some(200),
        login: false,
        username: None,
        injection: true,
    };
    assert!(behaviour.observe(&observation).is_empty());
    observation.injection = false;
    let mut fired = Vec::new();
    for i in 1..=3 {
        observation.at_ms = i * 1000;
        observation.status = Some(500);
        fired.extend(behaviour.observe(&observation).into_iter().map(|e| e.class));
    }
    assert_eq!(fired, vec![classes::ERROR_BURST]);

    let mut plain = Behaviour::new(BehaviourConfig::default());
    let mut errors = Observation { injection: false, ..observation.clone() };
    for i in 0..5 {
        errors.at_ms = i * 1000;
        assert!(plain.observe(&errors).is_empty(), "5xx without an injection attempt is no burst");
    }
}

#[test]
fn rate_far_above_usual_fires() {
    let config = BehaviourConfig { rate_min_per_minute: 30, ..BehaviourConfig::default() };
    let mut behaviour = Behaviour::new(config);
    // Usual traffic: a few requests a minute for an hour.
    for minute in 0..60 {
        for i in 0..2 {
            observe(&mut behaviour, "user:a", minute * 60_000 + i * 1000, "/search", 200, vec![]);
        }
    }
    let mut fired = Vec::new();
    for i in 0..40 {
        fired.extend(observe(&mut behaviour, "ip:flood", 3_700_000 + i * 100, "/search", 200, vec![]));
    }
    assert_eq!(fired, vec![classes::RATE_ANOMALY]);
}

#[test]
fn actors_are_bounded() {
    let config = BehaviourConfig { max_actors: 100, ..BehaviourConfig::default() };
    let mut behaviour = Behaviour::new(config);
    for i in 0..1000 {
        let actor = format!("ip:{i}");
        observe(&mut behaviour, &actor, i, "/", 200, vec![]);
    }
    assert!(behaviour.actors.len() <= 100);
    assert!(behaviour.evicted_actors >= 900);
}

#[test]
fn login_paths() {
    assert!(is_login_path("/api/v1/auth/token"));
    assert!(is_login_path("/Login"));
    assert!(!is_login_path("/authors/12"));
    assert!(!is_login_path("/api/tokens-report"));
}
