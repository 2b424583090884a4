"""The credential of the project's own Azure calls (the dynamic providers: key rotation, email domain
verification and linking, phone number pools), signed in as the identity azure-native uses.

azure-identity's DefaultAzureCredential reads `AZURE_*` variables, managed identity or an `az login`
session, never the `ARM_*` variables azure-native reads, so in CI (ARM_USE_OIDC) it would find no
identity, or another one. `provider_credential` reads azure-native's settings and builds the
azure-identity credential that signs in the same service principal, in the order azure-native
tries them; without such settings it is DefaultAzureCredential, as before (az login, AZURE_*,
workload or managed identity).

Variable names and their order, as azure-native reads them:
- Pulumi registry, azure-native "Installation & Configuration"
  (https://www.pulumi.com/registry/packages/azure-native/installation-configuration/): ARM_USE_OIDC,
  ARM_CLIENT_ID, ARM_TENANT_ID, ARM_OIDC_REQUEST_TOKEN / ARM_OIDC_REQUEST_URL (in GitHub Actions
  ACTIONS_ID_TOKEN_REQUEST_TOKEN / ACTIONS_ID_TOKEN_REQUEST_URL), ARM_CLIENT_SECRET,
  ARM_CLIENT_CERTIFICATE_PATH, ARM_USE_MSI, ARM_ENVIRONMENT (public, usgovernment, china).
- pulumi-azure-native provider/pkg/provider/auth.go (determineOidcConfig): ARM_OIDC_TOKEN first, then
  ARM_OIDC_TOKEN_FILE_PATH, then ARM_OIDC_REQUEST_TOKEN + ARM_OIDC_REQUEST_URL, then GitHub's
  ACTIONS_ID_TOKEN_REQUEST_TOKEN + ACTIONS_ID_TOKEN_REQUEST_URL.
- pulumi-azure-native provider/pkg/provider/auth_azidentity.go (v3, azidentity): the methods in the
  order ARM_USE_DEFAULT_AZURE_CREDENTIAL, client certificate, client secret, OIDC, ARM_USE_MSI, Azure
  CLI; a method that is configured but incomplete is an error, never a fall-through; GitHub's token
  is requested with `audience=api://AzureADTokenExchange`; ARM_DISABLE_INSTANCE_DISCOVERY.
  The provider's docs (pulumi_azure_native.Provider) list the same settings (oidc_token,
  oidc_token_file_path, oidc_request_token, oidc_request_url, use_default_azure_credential,
  disable_instance_discovery, client_certificate_path/password).
The cloud: AZURE_AUTHORITY_HOST wins, as in azure-identity; else ARM_ENVIRONMENT picks the cloud's
authority.
"""

import os
from collections.abc import Callable, Mapping
from typing import Any

from azure.core.credentials import TokenCredential

from providers.retry import IDEMPOTENT, BoundedRetryPolicy

GITHUB_AUDIENCE = "api://AzureADTokenExchange"
# One GitHub token request: connect, then read (seconds); BoundedRetryPolicy bounds the retries.
TOKEN_REQUEST_TIMEOUTS = (10, 30)

# ARM_ENVIRONMENT (azure-native's names, and the Azure CLI's) -> Microsoft Entra authority host.
_AUTHORITIES = {
    "public": "login.microsoftonline.com",
    "azurecloud": "login.microsoftonline.com",
    "usgovernment": "login.microsoftonline.us",
    "azureusgovernment": "login.microsoftonline.us",
    "china": "login.chinacloudapi.cn",
    "azurechinacloud": "login.chinacloudapi.cn",
}


class CredentialSettingsError(ValueError):
    """azure-native's sign-in settings are incomplete or invalid: the providers would sign in as
    someone else, or not at all."""


def provider_credential(environ: Mapping[str, str] | None = None) -> TokenCredential:
    """The credential for the dynamic providers' Azure calls, from azure-native's `ARM_*` settings
    (`environ`, the process environment by default), else DefaultAzureCredential. Use it in a `with`
    block, like any azure-identity credential. Raises CredentialSettingsError, naming the variables,
    when the settings choose a method but leave out what it needs."""
    import azure.identity as identity  # slow to import; only where it is used

    env = _Settings(os.environ if environ is None else environ)
    options = _authority(env)

    if env.flag("ARM_USE_DEFAULT_AZURE_CREDENTIAL"):
        return identity.DefaultAzureCredential(**options)

    msal_options = dict(options)
    if env.flag("ARM_DISABLE_INSTANCE_DISCOVERY"):
        msal_options["disable_instance_discovery"] = True

    if env.get("ARM_CLIENT_CERTIFICATE_PATH"):
        tenant_id, client_id = env.require("a client certificate (ARM_CLIENT_CERTIFICATE_PATH)")
        password = env.get("ARM_CLIENT_CERTIFICATE_PASSWORD")
        return identity.CertificateCredential(
            tenant_id,
            client_id,
            env.get("ARM_CLIENT_CERTIFICATE_PATH"),
            password=password.encode() if password else None,
            **msal_options,
        )

    if env.get("ARM_CLIENT_SECRET"):
        tenant_id, client_id = env.require("a client secret (ARM_CLIENT_SECRET)")
        return identity.ClientSecretCredential(tenant_id, client_id, env.get("ARM_CLIENT_SECRET"), **msal_options)

    if env.flag("ARM_USE_OIDC"):
        tenant_id, client_id = env.require("OIDC (ARM_USE_OIDC=true)")
        return identity.ClientAssertionCredential(tenant_id, client_id, _assertion_source(env), **options)

    if env.flag("ARM_USE_MSI"):
        return identity.ManagedIdentityCredential(client_id=env.get("ARM_CLIENT_ID") or None)

    return identity.DefaultAzureCredential(**options)


class _Settings:
    """The environment as azure-native reads it: an empty variable is an unset one (a GitHub
    expression such as `${{ vars.X }}` for a variable nobody defined gives "")."""

    def __init__(self, environ: Mapping[str, str]):
        self._environ = environ

    def get(self, name: str) -> str:
        return (self._environ.get(name) or "").strip()

    def flag(self, name: str) -> bool:
        # azure-native compares with "true" exactly; "True" or "1" leave the method off there too.
        return self.get(name) == "true"

    def require(self, method: str) -> tuple[str, str]:
        missing = [name for name in ("ARM_TENANT_ID", "ARM_CLIENT_ID") if not self.get(name)]
        if missing:
            raise CredentialSettingsError(
                f"azure-native is set to sign in with {method}, but {' and '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set: set {', '.join(missing)} to the service "
                "principal's ids, for azure-native and the project's dynamic providers alike"
            )
        return self.get("ARM_TENANT_ID"), self.get("ARM_CLIENT_ID")


def _authority(env: _Settings) -> dict[str, Any]:
    """`authority=` for ARM_ENVIRONMENT, unless AZURE_AUTHORITY_HOST (which azure-identity reads
    itself) says otherwise."""
    if env.get("AZURE_AUTHORITY_HOST"):
        return {}
    name = env.get("ARM_ENVIRONMENT") or env.get("AZURE_ENVIRONMENT")
    if not name:
        return {}
    host = _AUTHORITIES.get(name.lower())
    if host is None:
        raise CredentialSettingsError(
            f"ARM_ENVIRONMENT {name!r} is not a cloud the providers know: use public, usgovernment or china, "
            "or set AZURE_AUTHORITY_HOST to the cloud's Microsoft Entra authority"
        )
    return {"authority": host}


def _assertion_source(env: _Settings) -> Callable[[], str]:
    """The OIDC token (the client assertion) source, in azure-native's order. azure-identity calls it
    each time it requests an access token, so a file or an endpoint is read again each time: GitHub's
    tokens expire after minutes, sooner than a long `pulumi up`."""
    token = env.get("ARM_OIDC_TOKEN")
    if token:
        return lambda: token  # given once; nothing to refresh it from

    path = env.get("ARM_OIDC_TOKEN_FILE_PATH")
    if path:
        return lambda: _read_token_file(path)

    url, request_token = env.get("ARM_OIDC_REQUEST_URL"), env.get("ARM_OIDC_REQUEST_TOKEN")
    if url or request_token:
        if not (url and request_token):
            missing = "ARM_OIDC_REQUEST_TOKEN" if url else "ARM_OIDC_REQUEST_URL"
            present = "ARM_OIDC_REQUEST_URL" if url else "ARM_OIDC_REQUEST_TOKEN"
            raise CredentialSettingsError(f"ARM_USE_OIDC is true and {present} is set, but {missing} is not")
        return lambda: _request_github_token(url, request_token)

    url, request_token = env.get("ACTIONS_ID_TOKEN_REQUEST_URL"), env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    if url and request_token:
        return lambda: _request_github_token(url, request_token)

    raise CredentialSettingsError(
        "ARM_USE_OIDC is true but no OIDC token source is set: set ARM_OIDC_TOKEN, ARM_OIDC_TOKEN_FILE_PATH, "
        "or ARM_OIDC_REQUEST_URL and ARM_OIDC_REQUEST_TOKEN; in GitHub Actions, give the job "
        "`permissions: id-token: write` so that ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN "
        "are set"
    )


def _read_token_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            token = file.read().strip()
    except OSError as error:
        raise CredentialSettingsError(f"cannot read the OIDC token of ARM_OIDC_TOKEN_FILE_PATH: {error}") from error
    if not token:
        raise CredentialSettingsError(f"the OIDC token file {path} (ARM_OIDC_TOKEN_FILE_PATH) is empty")
    return token


def _request_github_token(url: str, request_token: str) -> str:
    """A fresh ID token from GitHub Actions' OIDC endpoint (or one that speaks its protocol): GET the
    URL with `audience` added and the request token as bearer; the answer is `{"value": "<jwt>"}`."""
    from azure.core import PipelineClient
    from azure.core.exceptions import AzureError, ClientAuthenticationError
    from azure.core.rest import HttpRequest

    # Through azure-core, as azure-identity's own requests go: the same proxies and CA bundle.
    request = HttpRequest(
        "GET",
        url,
        params={"audience": GITHUB_AUDIENCE},
        headers={"Accept": "application/json", "Authorization": f"bearer {request_token}"},
    )
    where = url.split("?", 1)[0]  # the query may carry nothing secret, but keep messages short
    with PipelineClient(base_url=url, policies=[BoundedRetryPolicy(IDEMPOTENT)]) as client:
        try:
            response = client.send_request(
                request, connection_timeout=TOKEN_REQUEST_TIMEOUTS[0], read_timeout=TOKEN_REQUEST_TIMEOUTS[1]
            )
        except AzureError as error:
            raise ClientAuthenticationError(f"requesting the OIDC token from {where} failed: {error}") from error
        if not 200 <= response.status_code < 300:
            raise ClientAuthenticationError(
                f"requesting the OIDC token from {where} failed: HTTP {response.status_code} {response.reason}"
            )
        try:
            value = response.json().get("value")
        except (ValueError, AttributeError):
            value = None
    if not isinstance(value, str) or not value:
        raise ClientAuthenticationError(f"the OIDC token endpoint {where} answered without a token (`value`)")
    return value
