"""Sessions for the contract run: one account's bearer token for every operation, and a
throwaway account for each call of the operations that end their session (sign-out and
account deletion), so they cannot end the run's session early."""

import os
import secrets

import requests
import schemathesis

API = os.environ["CONTRACT_API_URL"]
THROWAWAY = [("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/me/deletion")]


def new_token() -> str:
    """Signs up a fresh account and returns a bearer token for it."""
    email = f"contract-{secrets.token_hex(8)}@example.com"
    password = secrets.token_urlsafe(18)
    account = {"name": "Contract", "email": email, "password": password}
    requests.post(f"{API}/api/v1/auth/signup", json=account, timeout=30).raise_for_status()
    reply = requests.post(
        f"{API}/api/v1/auth/token", json={"email": email, "password": password}, timeout=30
    )
    reply.raise_for_status()
    return reply.json()["token"]


def bearer(case, token: str) -> None:
    case.headers = case.headers or {}
    case.headers["Authorization"] = f"Bearer {token}"


main_session = schemathesis.auth(refresh_interval=None)
for method, path in THROWAWAY:
    main_session = main_session.skip_for(method=method, path=path)


@main_session
class MainSession:
    def get(self, case, context):
        return os.environ["CONTRACT_TOKEN"]

    def set(self, case, data, context):
        bearer(case, data)


throwaway_session = schemathesis.auth(refresh_interval=None)
for method, path in THROWAWAY:
    throwaway_session = throwaway_session.apply_to(method=method, path=path)


@throwaway_session
class ThrowawaySession:
    def get(self, case, context):
        return new_token()

    def set(self, case, data, context):
        bearer(case, data)
