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

/// `AISTUDIO__SECURITY__TOKEN_KEYS__K1` -> `security.token_keys`-aware dotted key check; a
/// `_FILE` variable names the file holding its key's value.
fn is_known_variable(name: &str, keys: &BTreeSet<String>) -> bool {
    let Some(rest) = name.strip_prefix("AISTUDIO__") else {
        return false;
    };
    let rest = rest.strip_suffix("_FILE").unwrap_or(rest);
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

/// The secrets a service mounts.
fn secrets_of<'a>(compose: &'a Value, name: &str) -> BTreeSet<&'a str> {
    service(compose, name)["secrets"]
        .as_sequence()
        .unwrap_or_else(|| panic!("{name} mounts no secrets"))
        .iter()
        .filter_map(Value::as_str)
        .collect()
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
        // The connection strings hold passwords: secret files, never plain variables.
        let env = &service(&compose, app)["environment"];
        assert_eq!(env["AISTUDIO__MONGO__URL_FILE"], "/run/secrets/mongo_url");
        assert_eq!(env["AISTUDIO__REDIS__URL_FILE"], "/run/secrets/redis_url");
        assert!(env.get("AISTUDIO__MONGO__URL").is_none());
        assert!(env.get("AISTUDIO__REDIS__URL").is_none());
        assert_eq!(
            secrets_of(&compose, app),
            BTreeSet::from(["mongo_url", "redis_url"])
        );
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

/// The hex SHA-256 of `text`, as Redis ACL files hold passwords.
fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

#[test]
fn compose_datastores_require_the_passwords_generate_secrets_makes() {
    let compose = compose();
    let root = repo_root();
    let folder = std::env::temp_dir().join(format!(
        "aistudio-secrets-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let run = || {
        std::process::Command::new(root.join("deploy/generate-secrets"))
            .arg(&folder)
            .output()
            .expect("deploy/generate-secrets runs")
    };
    assert!(run().status.success());
    let read = |name: &str| {
        std::fs::read_to_string(folder.join(name))
            .unwrap()
            .trim_end()
            .to_string()
    };
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&folder).unwrap().permissions().mode() & 0o777,
        0o700,
        "only its owner may open the secrets folder"
    );
    let again = run();
    assert!(
        !again.status.success(),
        "existing secrets are never replaced"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    // Every secret compose declares is a file the script makes, in deploy/secrets/.
    let declared = compose["secrets"].as_mapping().expect("a secrets block");
    for (name, secret) in declared {
        let file = secret["file"].as_str().unwrap();
        let made = file
            .strip_prefix("./deploy/secrets/")
            .unwrap_or_else(|| panic!("{name:?}: {file} is outside deploy/secrets/"));
        assert!(folder.join(made).is_file(), "{name:?}: {made} is not made");
    }
    let gitignore = std::fs::read_to_string(root.join(".gitignore")).unwrap();
    assert!(gitignore.lines().any(|l| l == "/deploy/secrets/"));

    // Redis: users from the ACL file; the application's password is the one in its URL, the
    // `default` user's the one the health check uses, and neither is stored in clear.
    let redis = service(&compose, "redis");
    assert_eq!(
        secrets_of(&compose, "redis"),
        BTreeSet::from(["redis_acl", "redis_admin_password"])
    );
    let command: Vec<&str> = redis["command"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        command
            .windows(2)
            .any(|w| w == ["--aclfile", "/run/secrets/redis_acl"]),
        "{command:?}"
    );
    let check = redis["healthcheck"]["test"][1].as_str().unwrap();
    assert!(
        check.contains("/run/secrets/redis_admin_password"),
        "{check}"
    );
    let acl = read("redis_users.acl");
    let app_password = read("redis_url")
        .strip_prefix("redis://aistudio:")
        .and_then(|rest| rest.strip_suffix("@redis:6379"))
        .expect("redis_url names user aistudio at redis:6379")
        .to_string();
    let admin_password = read("redis_admin_password");
    assert_eq!(
        acl.lines().collect::<Vec<_>>(),
        [
            format!(
                "user default on #{} ~* &* +@all",
                sha256_hex(&admin_password)
            ),
            format!(
                "user aistudio on #{} ~* &* +@all -@dangerous",
                sha256_hex(&app_password)
            ),
        ]
    );
    assert!(!acl.contains(&app_password) && !acl.contains(&admin_password));

    // MongoDB: the root user from its secret; the application's user, created on a new volume
    // by the mounted script, with the password and database of the application's URL.
    let mongo = service(&compose, "mongo");
    assert_eq!(
        secrets_of(&compose, "mongo"),
        BTreeSet::from(["mongo_root_password", "mongo_app_password"])
    );
    assert_eq!(
        mongo["environment"]["MONGO_INITDB_ROOT_PASSWORD_FILE"],
        "/run/secrets/mongo_root_password"
    );
    let init =
        "./deploy/mongo/create-app-user.js:/docker-entrypoint-initdb.d/create-app-user.js:ro";
    assert!(
        mongo["volumes"]
            .as_sequence()
            .unwrap()
            .iter()
            .any(|v| v == init),
        "the user script is mounted"
    );
    let script = std::fs::read_to_string(root.join("deploy/mongo/create-app-user.js")).unwrap();
    let database = aistudio_config::Settings::load_from(&aistudio_config::Sources::default())
        .unwrap()
        .mongo
        .database;
    for expected in [
        "/run/secrets/mongo_app_password".to_string(),
        format!("getSiblingDB('{database}')"),
        "user: 'aistudio'".to_string(),
        format!("roles: [{{ role: 'readWrite', db: '{database}' }}]"),
    ] {
        assert!(script.contains(&expected), "{expected} in the user script");
    }
    assert_eq!(
        read("mongo_url"),
        format!(
            "mongodb://aistudio:{}@mongo:27017/{database}",
            read("mongo_app_password")
        )
    );
    assert_ne!(read("mongo_root_password"), read("mongo_app_password"));
    std::fs::remove_dir_all(&folder).unwrap();
}
