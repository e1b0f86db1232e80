# Sourced by the shell test runners (tests/e2e/run, tests/contract/run): the whole stack of the
# debug build (simulator with its SMTP sink, api, optionally a worker) on free ports, with a fresh database and
# Redis namespace, stopped when the runner exits. The caller sets ROOT, TARGET and LOGS.
#
#   stack_start [worker]   start the simulator and the api (and a worker), wait until they answer
#   $SIM, $API, $RUN_ID    their addresses and the run's id once started

MONGO_URL="${AISTUDIO_TEST_MONGO_URL:-mongodb://127.0.0.1:27017/?retryWrites=false}"
REDIS_URL="${AISTUDIO_TEST_REDIS_URL:-redis://127.0.0.1:6379}"

stack_reachable() { # url
  local hostport="${1#*://}"; hostport="${hostport##*@}"; hostport="${hostport%%/*}"
  (exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}") 2>/dev/null
}

stack_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stack_env() {
  SIM_PORT="$(stack_free_port)"; API_PORT="$(stack_free_port)"
  API_METRICS="$(stack_free_port)"; WORKER_OPS="$(stack_free_port)"; SMTP_PORT="$(stack_free_port)"
  SIM="http://127.0.0.1:$SIM_PORT"
  API="http://127.0.0.1:$API_PORT"
  RUN_ID="$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  export AISTUDIO__ENVIRONMENT=test
  export AISTUDIO_CONFIG_DIR="$ROOT/config/files"
  export AISTUDIO__MONGO__URL="$MONGO_URL" AISTUDIO__MONGO__DATABASE="e2e_$RUN_ID"
  export AISTUDIO__REDIS__URL="$REDIS_URL" AISTUDIO__REDIS__NAMESPACE="e2e$RUN_ID"
  export AISTUDIO__LOG__FORMAT=json AISTUDIO__LOG__LEVEL=info
  export AISTUDIO__SECURITY__CURRENT_TOKEN_KEY=t1
  AISTUDIO__SECURITY__TOKEN_KEYS__T1="$(head -c 32 /dev/urandom | base64)"
  export AISTUDIO__SECURITY__TOKEN_KEYS__T1
  AISTUDIO__NOTIFICATIONS__UNSUBSCRIBE_KEY="$(head -c 32 /dev/urandom | base64)"
  export AISTUDIO__NOTIFICATIONS__UNSUBSCRIBE_KEY
  export AISTUDIO__SECURITY__COOKIE_SECURE=false
  export AISTUDIO__SERVER__LISTEN="127.0.0.1:$API_PORT" AISTUDIO__SERVER__METRICS_LISTEN="127.0.0.1:$API_METRICS"
  export AISTUDIO__SERVER__PUBLIC_BASE_URL="$API"
  export AISTUDIO__WORKER__METRICS_LISTEN="127.0.0.1:$WORKER_OPS"
  export AISTUDIO__INSTAGRAM__CLIENT_ID=990000000000001 AISTUDIO__INSTAGRAM__CLIENT_SECRET=sim-instagram-app-secret
  export AISTUDIO__INSTAGRAM__OAUTH_BASE_URL="$SIM/instagram" AISTUDIO__INSTAGRAM__API_BASE_URL="$SIM/instagram-api"
  export AISTUDIO__INSTAGRAM__GRAPH_BASE_URL="$SIM/graph"
  export AISTUDIO__IMGBB__BASE_URL="$SIM/imgbb" AISTUDIO__IMGBB__API_KEY=sim-imgbb-key
  export AISTUDIO__GOOGLE__CLIENT_ID=sim-google-client-id.apps.googleusercontent.com AISTUDIO__GOOGLE__CLIENT_SECRET=sim-google-client-secret
  export AISTUDIO__GOOGLE__AUTH_URL="$SIM/google/o/oauth2/v2/auth" AISTUDIO__GOOGLE__TOKEN_URL="$SIM/google/token"
  export AISTUDIO__GOOGLE__USERINFO_URL="$SIM/google/v1/userinfo" AISTUDIO__GOOGLE__JWKS_URL="$SIM/google/oauth2/v3/certs"
  export AISTUDIO__GOOGLE__ISSUER="$SIM/google"
  export AISTUDIO__MAIL__SMTP_HOST=127.0.0.1 AISTUDIO__MAIL__SMTP_PORT="$SMTP_PORT" AISTUDIO__MAIL__TLS=none
  export AISTUDIO__MAIL__FROM="AIStudio <no-reply@aistudio.test>"
  # Receivers in the browser specs listen on loopback.
  export AISTUDIO__WEBHOOKS__ALLOW_HOSTS=127.0.0.1
}

stack_pids=()
stack_stop() {
  trap - INT TERM EXIT
  [ "${#stack_pids[@]}" -gt 0 ] && kill -TERM "${stack_pids[@]}" 2>/dev/null || true
  wait "${stack_pids[@]}" 2>/dev/null || true
}

stack_spawn() { # name command...
  local name="$1"; shift
  "$@" >"$LOGS/$name.log" 2>&1 &
  stack_pids+=("$!")
}

stack_wait_for() { # url name
  for _ in $(seq 1 300); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.2; done
  echo "$2 did not answer at $1; its log:" >&2; tail -n 40 "$LOGS/$2.log" >&2; exit 1
}

stack_start() { # [worker]
  if ! stack_reachable "$MONGO_URL" || ! stack_reachable "$REDIS_URL"; then
    "$ROOT/scripts/services" start
  fi
  mkdir -p "$LOGS"
  stack_env
  trap stack_stop INT TERM EXIT
  stack_spawn sim "$TARGET/debug/aistudio-sim" --listen "127.0.0.1:$SIM_PORT" --smtp-listen "127.0.0.1:$SMTP_PORT"
  stack_wait_for "$SIM/google/.well-known/openid-configuration" sim
  stack_spawn api "$TARGET/debug/aistudio-api"
  if [ "${1:-}" = worker ]; then stack_spawn worker "$TARGET/debug/aistudio-worker"; fi
  stack_wait_for "$API/readyz" api
  if [ "${1:-}" = worker ]; then stack_wait_for "http://127.0.0.1:$WORKER_OPS/healthz" worker; fi
}
