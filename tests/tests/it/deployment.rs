//! The deployment files agree with the configuration reference: docker-compose.yml (which cannot
//! run here) is parsed and checked, and docs/configuration.md documents every configuration key.

use std::collections::BTreeSet;

use aistudio_tests::repo_root;
use serde_yaml::Value;

/// Every dotted key of the embedded defaults (map-valued tables such as `security.token_keys`
/// are listed as the table's key).
fn config_keys() -> BTreeSet<String> {
    fn walk(prefix: &str, table: &toml::Table, out: &mut BTreeSet<String>) {
        for (key, value) in table {
            let dotted = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match value {
                toml::Value::Table(inner) if !inner.is_empty() => walk(&dotted, inner, out),
                _ => {
                    out.insert(dotted);
                }
            }
        }
    }
    let table: toml::Table = aistudio_config::DEFAULTS.parse().expect("defaults parse");
    let mut keys = BTreeSet::new();
    walk("", &table, &mut keys);
    keys
}

/// `AISTUDIO__SECURITY__TOKEN_KEYS__K1` -> `security.token_keys`-aware dotted key check.
fn is_known_variable(name: &str, keys: &BTreeSet<String>) -> bool {
    let Some(rest) = name.strip_prefix("AISTUDIO__") else {
        return false;
    };
    let dotted = rest.to_lowercase().replace("__", ".");
    keys.contains(&dotted) || dotted.starts_with("security.token_keys.")
}

fn compose() -> Value {
    let text = std::fs::read_to_string(repo_root().join("docker-compose.yml")).unwrap();
    let mut value: Value = serde_yaml::from_str(&text).expect("docker-compose.yml is YAML");
    value.apply_merge().expect("merge keys resolve");
    value
}

fn service<'a>(compose: &'a Value, name: &str) -> &'a Value {
    compose["services"]
        .get(name)
        .unwrap_or_else(|| panic!("service {name} is missing"))
}

fn port_of(address: &str) -> &str {
    address.rsplit(':').next().unwrap()
}

#[test]
fn compose_services_health_checks_and_dependencies() {
    let compose = compose();
    let names: BTreeSet<&str> = compose["services"]
        .as_mapping()
        .unwrap()
        .keys()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "redis",
            "mongo",
            "api",
            "caddy",
            "worker",
            "sim",
            "prometheus",
            "grafana"
        ])
    );
    for name in &names {
        let check = &service(&compose, name)["healthcheck"]["test"];
        assert!(check.is_sequence(), "{name} has a health check");
    }
    assert_eq!(
        service(&compose, "sim")["profiles"],
        serde_yaml::from_str::<Value>("[dev]").unwrap()
    );
    let replicas = service(&compose, "worker")["deploy"]["replicas"]
        .as_u64()
        .unwrap();
    assert!(replicas > 1, "workers are scaled out");
    for app in ["api", "worker"] {
        for dependency in ["redis", "mongo"] {
            assert_eq!(
                service(&compose, app)["depends_on"][dependency]["condition"],
                "service_healthy",
                "{app} waits for {dependency}'s health"
            );
        }
        let env = &service(&compose, app)["environment"];
        assert_eq!(env["AISTUDIO__MONGO__URL"], "mongodb://mongo:27017");
        assert_eq!(env["AISTUDIO__REDIS__URL"], "redis://redis:6379");
    }
    for volume in ["redis-data", "mongo-data"] {
        assert!(compose["volumes"].get(volume).is_some(), "{volume} volume");
    }
}

#[test]
fn compose_monitoring_profile_mounts_files_that_exist_and_scrapes_the_metrics_ports() {
    let compose = compose();
    let root = repo_root();
    for name in ["prometheus", "grafana"] {
        let service = service(&compose, name);
        assert_eq!(
            service["profiles"],
            serde_yaml::from_str::<Value>("[monitoring]").unwrap(),
            "{name} runs only with the monitoring profile"
        );
        let image = service["image"].as_str().unwrap();
        let tag = image.rsplit_once(':').map(|(_, tag)| tag).unwrap_or("");
        assert!(
            tag.starts_with('v') || tag.starts_with(|c: char| c.is_ascii_digit()),
            "{name}: pinned image tag, not {image}"
        );
        for port in service["ports"].as_sequence().unwrap() {
            assert!(
                port.as_str().unwrap().starts_with("127.0.0.1:"),
                "{name} only on the host's loopback"
            );
        }
        for volume in service["volumes"].as_sequence().unwrap() {
            let volume = volume.as_str().unwrap();
            if let Some(host) = volume.strip_prefix("./") {
                let host = host.split(':').next().unwrap();
                assert!(
                    root.join(host).exists(),
                    "{name} mounts {host}, which is missing"
                );
            }
        }
    }
    let mounts = |name: &str| -> Vec<String> {
        service(&compose, name)["volumes"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    };
    let prometheus = mounts("prometheus");
    assert!(
        prometheus
            .contains(&"./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro".to_string())
    );
    assert!(prometheus.contains(
        &"./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro".to_string()
    ));
    let grafana = mounts("grafana");
    assert!(
        grafana.contains(&"./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro".to_string())
    );

    // Prometheus loads the rules beside its configuration and scrapes the ports the api and
    // the workers serve /metrics on.
    let config: Value = serde_yaml::from_str(
        &std::fs::read_to_string(root.join("deploy/prometheus/prometheus.yml")).unwrap(),
    )
    .unwrap();
    assert_eq!(config["rule_files"][0], "alerts.yml");
    let env_port = |app: &str, key: &str| {
        port_of(service(&compose, app)["environment"][key].as_str().unwrap()).to_string()
    };
    let jobs = config["scrape_configs"].as_sequence().unwrap();
    let job = |name: &str| jobs.iter().find(|j| j["job_name"] == name).unwrap();
    assert_eq!(
        job("aistudio-api")["static_configs"][0]["targets"][0],
        format!(
            "api:{}",
            env_port("api", "AISTUDIO__SERVER__METRICS_LISTEN")
        )
        .as_str()
    );
    let workers = &job("aistudio-worker")["dns_sd_configs"][0];
    assert_eq!(workers["names"][0], "worker");
    assert_eq!(
        workers["port"].as_u64().unwrap().to_string(),
        env_port("worker", "AISTUDIO__WORKER__METRICS_LISTEN")
    );
    // Grafana reads that Prometheus, and its dashboard is valid JSON naming that data source.
    let datasource: Value = serde_yaml::from_str(
        &std::fs::read_to_string(
            root.join("deploy/grafana/provisioning/datasources/prometheus.yml"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        datasource["datasources"][0]["url"],
        "http://prometheus:9090"
    );
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("deploy/grafana/dashboards/aistudio.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        dashboard["panels"][1]["datasource"]["uid"],
        datasource["datasources"][0]["uid"].as_str().unwrap()
    );
    for volume in ["prometheus-data", "grafana-data"] {
        assert!(compose["volumes"].get(volume).is_some(), "{volume} volume");
    }
}

#[test]
fn compose_ports_and_variables_match_the_configuration() {
    let compose = compose();
    let keys = config_keys();
    let defaults = aistudio_config::Settings::load_from(&aistudio_config::Sources::default())
        .expect("defaults load");

    let api = service(&compose, "api");
    let listen = api["environment"]["AISTUDIO__SERVER__LISTEN"]
        .as_str()
        .unwrap();
    let metrics = api["environment"]["AISTUDIO__SERVER__METRICS_LISTEN"]
        .as_str()
        .unwrap();
    assert_eq!(port_of(listen), defaults.server.listen.port().to_string());
    assert_eq!(
        port_of(metrics),
        defaults.server.metrics_listen.port().to_string()
    );
    let published: Vec<&str> = api["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        published,
        ["127.0.0.1:9100:9100"],
        "only metrics, on the host's loopback: the api is reached through caddy"
    );
    let api_check = api["healthcheck"]["test"][3].as_str().unwrap();
    assert_eq!(
        api_check,
        format!("http://127.0.0.1:{}/readyz", port_of(listen))
    );

    let worker = service(&compose, "worker");
    let ops = worker["environment"]["AISTUDIO__WORKER__METRICS_LISTEN"]
        .as_str()
        .unwrap();
    assert_eq!(
        port_of(ops),
        defaults.worker.metrics_listen.port().to_string()
    );
    let worker_check = worker["healthcheck"]["test"][3].as_str().unwrap();
    assert_eq!(
        worker_check,
        format!("http://127.0.0.1:{}/readyz", port_of(ops))
    );

    for app in ["api", "worker"] {
        for name in service(&compose, app)["environment"]
            .as_mapping()
            .unwrap()
            .keys()
            .filter_map(Value::as_str)
        {
            assert!(
                is_known_variable(name, &keys),
                "{app}: unknown setting {name}"
            );
        }
    }
    for file in ["deploy/production.env.example", "deploy/compose-dev.env"] {
        let text = std::fs::read_to_string(repo_root().join(file)).unwrap();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && l.contains('='))
        {
            let name = line.split('=').next().unwrap();
            assert!(
                is_known_variable(name, &keys),
                "{file}: unknown setting {name}"
            );
        }
    }
}

#[test]
fn compose_serves_https_only_through_caddy_with_the_projects_caddyfile() {
    let compose = compose();
    let defaults = aistudio_config::Settings::load_from(&aistudio_config::Sources::default())
        .expect("defaults load");
    let caddy = service(&compose, "caddy");
    let image = caddy["image"].as_str().unwrap();
    assert!(
        image.starts_with("caddy:2.") && image.split('.').count() >= 3,
        "a pinned Caddy 2 image: {image}"
    );
    let volumes: Vec<&str> = caddy["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(volumes.contains(&"./deploy/caddy/Caddyfile:/etc/caddy/Caddyfile:ro"));
    assert!(repo_root().join("deploy/caddy/Caddyfile").is_file());
    assert!(
        volumes.contains(&"caddy-data:/data"),
        "certificates are kept"
    );
    assert!(compose["volumes"].get("caddy-data").is_some());
    let ports: Vec<&str> = caddy["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(ports, ["80:80", "443:443", "443:443/udp"]);
    assert_eq!(
        caddy["depends_on"]["api"]["condition"], "service_healthy",
        "caddy waits for the api"
    );

    // Caddy forwards to the port the api listens on, and the api reads the client's address
    // from Caddy's X-Forwarded-For.
    let api = service(&compose, "api");
    let listen = api["environment"]["AISTUDIO__SERVER__LISTEN"]
        .as_str()
        .unwrap();
    assert_eq!(
        caddy["environment"]["AISTUDIO_UPSTREAM"],
        format!("api:{}", port_of(listen)).as_str()
    );
    assert_eq!(
        api["environment"]["AISTUDIO__SERVER__TRUST_FORWARDED_FOR"],
        "true"
    );
    assert!(!defaults.server.trust_forwarded_for, "off without a proxy");

    // Caddy's ports are the only ones published beyond the host's loopback.
    for (name, service) in compose["services"].as_mapping().unwrap() {
        if name == "caddy" {
            continue;
        }
        for port in service["ports"].as_sequence().into_iter().flatten() {
            let port = port.as_str().unwrap();
            assert!(
                port.starts_with("127.0.0.1:"),
                "{name:?} publishes {port} beyond loopback"
            );
        }
    }

    // The simulator stack's public URL is the HTTPS one Caddy serves, with secure cookies.
    let dev = std::fs::read_to_string(repo_root().join("deploy/compose-dev.env")).unwrap();
    assert!(dev.contains("AISTUDIO__SERVER__PUBLIC_BASE_URL=https://localhost\n"));
    assert!(dev.contains("AISTUDIO__SECURITY__COOKIE_SECURE=true\n"));
}

#[test]
fn the_readme_documents_every_configuration_key() {
    let readme = std::fs::read_to_string(repo_root().join("docs/configuration.md")).unwrap();
    let missing: Vec<String> = config_keys()
        .into_iter()
        .filter(|key| !readme.contains(&format!("`{key}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/configuration.md lacks: {missing:?}"
    );
}
