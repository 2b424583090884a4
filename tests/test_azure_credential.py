"""The dynamic providers' credential signs in with what the deploy workflow gives azure-native.

The real azure-identity credentials run against a local HTTPS fake that plays GitHub Actions' OIDC
token endpoint and Microsoft Entra ID's token endpoint; azure-identity finds it through
AZURE_AUTHORITY_HOST and trusts its certificate through REQUESTS_CA_BUNDLE, as it would a proxy's
in a real network. Nothing inside azure-identity is replaced.
"""

import re
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientAssertionCredential, ClientSecretCredential, DefaultAzureCredential

from providers.credential import GITHUB_AUDIENCE, CredentialSettingsError, provider_credential
from tests.https_fake import Answer, HttpsFake

WORKFLOWS = Path(__file__).resolve().parent.parent / ".github" / "workflows"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT = "0b8e6c2a-3f4d-4a51-9c1e-5d7f8a9b0c1d"
SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
# The repository variables the workflow reads (`${{ vars.NAME }}`), as a GitHub environment holds them.
REPOSITORY_VARIABLES = {"AZURE_CLIENT_ID": CLIENT, "AZURE_TENANT_ID": TENANT, "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION}
REQUEST_TOKEN = "github-runtime-request-token"
ARM_SCOPE = "https://management.azure.com/.default"
ACS_SCOPE = "https://communication.azure.com/.default"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class FakeIdentity(HttpsFake):
    """GitHub's OIDC token endpoint (`GET /_apis/idtoken`) and Entra ID's token endpoint for one
    tenant (`POST /<tenant>/oauth2/v2.0/token`, with the OpenID configuration MSAL reads first).
    GitHub's tokens are short-lived: Entra accepts each assertion once, as if it had expired by the
    next request, so only a freshly requested token signs in again."""

    def __init__(self, cert: Path, key: Path, client_secret: str = "the-client-secret"):
        super().__init__(cert, key)
        self._lock = threading.Lock()
        self.client_secret = client_secret
        self.github_requests: list[dict[str, Any]] = []
        self.token_requests: list[dict[str, str]] = []
        self.issued: list[str] = []
        self._redeemed: set[str] = set()

    @property
    def github_url(self) -> str:
        return f"{self.url}/_apis/idtoken?api-version=2.0"  # the shape of ACTIONS_ID_TOKEN_REQUEST_URL

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> Answer:
        path = urlsplit(target).path
        with self._lock:
            if method == "GET" and path == "/_apis/idtoken":
                return self._github(target, headers)
            if method == "GET" and path == f"/{TENANT}/v2.0/.well-known/openid-configuration":
                return 200, self._openid_configuration(), {}
            if method == "POST" and path == f"/{TENANT}/oauth2/v2.0/token":
                return self._token(body)
        return 404, {"error": "not_found", "error_description": f"{method} {target}"}, {}

    def _github(self, target: str, headers: Any) -> Answer:
        query = parse_qs(urlsplit(target).query)
        self.github_requests.append({"query": query, "authorization": headers.get("Authorization")})
        if headers.get("Authorization", "").lower() != f"bearer {REQUEST_TOKEN}":
            return 401, {"message": "bad request token"}, {}
        if query.get("audience") != [GITHUB_AUDIENCE] or query.get("api-version") != ["2.0"]:
            return 400, {"message": f"unexpected query {query}"}, {}
        return 200, {"count": 1, "value": self.issue()}, {}

    def issue(self) -> str:
        """A new GitHub OIDC token (a JWT's shape; the fake Entra only compares it)."""
        token = f"eyJhbGciOiJSUzI1NiJ9.github-oidc-{len(self.issued) + 1}.c2lnbmF0dXJl"
        self.issued.append(token)
        return token

    def _openid_configuration(self) -> dict[str, Any]:
        base = f"{self.url}/{TENANT}"
        return {
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        }

    def _token(self, body: bytes) -> Answer:
        form = {name: values[0] for name, values in parse_qs(body.decode()).items()}
        self.token_requests.append(form)
        if form.get("client_id") != CLIENT:
            return 400, {"error": "unauthorized_client", "error_description": "unknown client"}, {}
        if "client_assertion" in form:
            assertion = form["client_assertion"]
            valid = (
                form.get("client_assertion_type") == JWT_BEARER
                and assertion in self.issued
                and assertion not in self._redeemed
            )
            self._redeemed.add(assertion)
            if not valid:
                return 400, {"error": "invalid_client", "error_description": "AADSTS700024: assertion expired"}, {}
        elif form.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client", "error_description": "AADSTS7000215: invalid secret"}, {}
        number = len(self.token_requests)
        return 200, {"token_type": "Bearer", "expires_in": 3600, "access_token": f"access-token-{number}"}, {}


@pytest.fixture
def identity(certificate, monkeypatch):
    """The fake, with azure-identity pointed at it and trusting it, and no sign-in settings from
    the machine running the tests."""
    with FakeIdentity(*certificate) as fake:
        clear_sign_in_settings(monkeypatch)
        monkeypatch.setenv("AZURE_AUTHORITY_HOST", fake.url)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate[0]))
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.setenv(name, "127.0.0.1,localhost")
        yield fake


def clear_sign_in_settings(monkeypatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("ARM_", "AZURE_", "ACTIONS_ID_TOKEN_")):
            monkeypatch.delenv(name)


def signing_in_jobs() -> dict[str, dict[str, Any]]:
    """Every job of every workflow that may ask GitHub for an OIDC token, by "file:job"."""
    jobs = {}
    for file in sorted(WORKFLOWS.glob("*.yml")):
        for name, job in yaml.safe_load(file.read_text())["jobs"].items():
            if (job.get("permissions") or {}).get("id-token") == "write":
                jobs[f"{file.name}:{name}"] = job
    return jobs


def deploy_job() -> dict[str, Any]:
    return signing_in_jobs()["deploy.yml:deploy-prod"]


def workflow_env(job: dict[str, Any] | None = None, variables: dict[str, str] = REPOSITORY_VARIABLES) -> dict[str, str]:
    """A job's ARM_* environment as a run sees it (prod's deploy job unless said): `${{ vars.X }}`
    resolved from `variables`, to "" where a variable is not defined, as GitHub does."""

    def resolve(value: Any) -> str:
        text = str(value).lower() if isinstance(value, bool) else str(value)
        return re.sub(r"\$\{\{\s*vars\.(\w+)\s*\}\}", lambda match: variables.get(match[1], ""), text)

    env = (job or deploy_job())["env"]
    return {name: resolve(value) for name, value in env.items() if name.startswith("ARM_")}


def github_oidc_env(fake: FakeIdentity) -> dict[str, str]:
    """What GitHub Actions adds to a job that has `id-token: write`."""
    return {"ACTIONS_ID_TOKEN_REQUEST_URL": fake.github_url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN}


def set_env(monkeypatch, values: dict[str, str]) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_the_workflow_oidc_settings_sign_the_providers_in_with_a_fresh_github_token_per_request(identity, monkeypatch):
    set_env(monkeypatch, workflow_env() | github_oidc_env(identity))

    with provider_credential() as credential:
        assert isinstance(credential, ClientAssertionCredential)
        arm = credential.get_token(ARM_SCOPE)
        acs = credential.get_token(ACS_SCOPE)
        again = credential.get_token(ARM_SCOPE)

    assert (arm.token, acs.token) == ("access-token-1", "access-token-2")
    assert again.token == arm.token  # azure-identity's cache: no new request for a token still valid
    # Each access token request got its own GitHub token, asked for the Entra audience with the
    # request token as bearer; the second was accepted although the first had "expired".
    assert len(identity.github_requests) == 2 and len(set(identity.issued)) == 2
    assert all(r["query"]["audience"] == [GITHUB_AUDIENCE] for r in identity.github_requests)
    assert [r["client_assertion"] for r in identity.token_requests] == identity.issued
    for request, scope in zip(identity.token_requests, (ARM_SCOPE, ACS_SCOPE), strict=True):
        assert request["client_id"] == CLIENT
        assert request["client_assertion_type"] == JWT_BEARER
        assert request["grant_type"] == "client_credentials"
        assert request["scope"] == scope
        assert "client_secret" not in request


def test_arm_oidc_request_variables_win_over_github_defaults(identity, monkeypatch):
    set_env(monkeypatch, workflow_env())
    # GitHub's own pair points nowhere useful: the ARM_* pair must be the one used.
    set_env(
        monkeypatch,
        {"ACTIONS_ID_TOKEN_REQUEST_URL": "https://127.0.0.1:9/nowhere", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "x"},
    )
    set_env(monkeypatch, {"ARM_OIDC_REQUEST_URL": identity.github_url, "ARM_OIDC_REQUEST_TOKEN": REQUEST_TOKEN})

    with provider_credential() as credential:
        assert credential.get_token(ARM_SCOPE).token == "access-token-1"
    assert identity.token_requests[0]["client_assertion"] == identity.issued[0]


def test_an_oidc_token_file_is_read_again_for_each_access_token(identity, monkeypatch, tmp_path):
    token_file = tmp_path / "oidc-token"
    set_env(monkeypatch, workflow_env() | {"ARM_OIDC_TOKEN_FILE_PATH": str(token_file)})
    # Tokens that the fake Entra accepts, as a workload identity's token file would hold them in turn.
    first, second = identity.issue(), identity.issue()

    with provider_credential() as credential:
        token_file.write_text(first + "\n")
        credential.get_token(ARM_SCOPE)
        token_file.write_text(second)
        credential.get_token(ACS_SCOPE)

    assert [r["client_assertion"] for r in identity.token_requests] == [first, second]


def test_client_secret_variables_sign_in_with_the_secret(identity, monkeypatch):
    set_env(
        monkeypatch,
        {
            "ARM_CLIENT_ID": CLIENT,
            "ARM_CLIENT_SECRET": identity.client_secret,
            "ARM_TENANT_ID": TENANT,
            "ARM_SUBSCRIPTION_ID": SUBSCRIPTION,
            # azure-native's switch: no instance discovery at login.microsoftonline.com for the fake's host.
            "ARM_DISABLE_INSTANCE_DISCOVERY": "true",
        },
    )

    with provider_credential() as credential:
        assert isinstance(credential, ClientSecretCredential)
        assert credential.get_token(ARM_SCOPE).token == "access-token-1"

    (request,) = identity.token_requests
    assert request["client_id"] == CLIENT
    assert request["client_secret"] == identity.client_secret
    assert request["grant_type"] == "client_credentials"
    assert ARM_SCOPE in request["scope"].split()
    assert "client_assertion" not in request
    assert identity.github_requests == []


def test_a_github_endpoint_that_refuses_fails_the_token_request_clearly(identity, monkeypatch):
    set_env(monkeypatch, workflow_env() | github_oidc_env(identity) | {"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "wrong"})

    with provider_credential() as credential, pytest.raises(ClientAuthenticationError) as raised:
        credential.get_token(ARM_SCOPE)

    assert "/_apis/idtoken" in str(raised.value) and "HTTP 401" in str(raised.value)
    assert "wrong" not in str(raised.value)  # the request token is never in a message
    assert identity.token_requests == []


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"ARM_USE_OIDC": "true", "ARM_TENANT_ID": TENANT}, ["ARM_CLIENT_ID"]),
        ({"ARM_USE_OIDC": "true", "ARM_CLIENT_ID": CLIENT}, ["ARM_TENANT_ID"]),
        ({"ARM_USE_OIDC": "true"}, ["ARM_TENANT_ID", "ARM_CLIENT_ID"]),
        # An environment whose repository variables were never defined: `${{ vars.X }}` gives "".
        ({"ARM_USE_OIDC": "true", "ARM_CLIENT_ID": "", "ARM_TENANT_ID": " "}, ["ARM_TENANT_ID", "ARM_CLIENT_ID"]),
        ({"ARM_CLIENT_SECRET": "s", "ARM_CLIENT_ID": CLIENT}, ["ARM_TENANT_ID"]),
        (
            {"ARM_USE_OIDC": "true", "ARM_CLIENT_ID": CLIENT, "ARM_TENANT_ID": TENANT},
            ["ARM_OIDC_TOKEN", "ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL", "id-token: write"],
        ),
        (
            {
                "ARM_USE_OIDC": "true",
                "ARM_CLIENT_ID": CLIENT,
                "ARM_TENANT_ID": TENANT,
                "ARM_OIDC_REQUEST_URL": "https://x",
            },
            ["ARM_OIDC_REQUEST_TOKEN"],
        ),
        ({"ARM_ENVIRONMENT": "mooncake2"}, ["ARM_ENVIRONMENT"]),
    ],
)
def test_incomplete_settings_are_an_error_naming_what_is_missing(monkeypatch, settings, named):
    clear_sign_in_settings(monkeypatch)
    set_env(monkeypatch, settings)

    with pytest.raises(CredentialSettingsError) as raised:
        provider_credential()

    for name in named:
        assert name in str(raised.value)


def test_an_undefined_repository_variable_in_the_workflow_is_an_error_not_another_identity(identity, monkeypatch):
    set_env(monkeypatch, workflow_env(variables={"AZURE_TENANT_ID": TENANT}) | github_oidc_env(identity))

    with pytest.raises(CredentialSettingsError, match="ARM_CLIENT_ID"):
        provider_credential()
    assert identity.github_requests == []


def test_without_arm_settings_it_is_the_default_credential(monkeypatch):
    clear_sign_in_settings(monkeypatch)

    with provider_credential() as credential:
        assert isinstance(credential, DefaultAzureCredential)


def test_the_workflows_sign_in_to_deploy_preview_rotate_and_check_drift():
    names = set(signing_in_jobs())
    assert {"deploy.yml:deploy-dev", "deploy.yml:deploy-prod", "pull-request.yml:preview"} <= names
    assert any(name.startswith("rotate-keys.yml:") for name in names)
    assert any(name.startswith("drift.yml:") for name in names)


@pytest.mark.parametrize("name", sorted(signing_in_jobs()))
def test_every_job_that_signs_in_gives_the_providers_everything_oidc_needs(monkeypatch, name):
    job = signing_in_jobs()[name]

    env = workflow_env(job)
    assert env.get("ARM_USE_OIDC") == "true"
    for name in ("ARM_CLIENT_ID", "ARM_TENANT_ID", "ARM_SUBSCRIPTION_ID"):
        assert env.get(name), f"the deploy job does not set {name} from a repository variable"
    # No client secret or certificate in the job: they would take precedence over OIDC.
    assert not {"ARM_CLIENT_SECRET", "ARM_CLIENT_CERTIFICATE_PATH"} & set(job["env"])

    # The job's variables plus what `id-token: write` makes GitHub set: the providers' OIDC
    # credential, for the workflow's client and tenant; without GitHub's pair, an error.
    clear_sign_in_settings(monkeypatch)
    set_env(monkeypatch, env)
    with pytest.raises(CredentialSettingsError, match="id-token: write"):
        provider_credential()
    set_env(
        monkeypatch,
        {"ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.actions.example/", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"},
    )
    with provider_credential() as credential:
        assert isinstance(credential, ClientAssertionCredential)
