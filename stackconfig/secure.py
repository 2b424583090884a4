"""Secure config values (`pulumi config set --secret`): where one may be, and where it may not.

Only an Event Grid webhook URL may be secure: it is the one value that can carry a credential
(an Azure Function `code=`, a SAS `sig=`) and that the program can keep a Pulumi secret all the
way to its resource (`endpointUrl`). Every other value becomes a resource name, a tag or a
setting Azure shows to anyone who can read the resource, so a secure one is refused rather than
written there in plain text.

Pulumi passes a nested secure value (`pulumi config set --secret --path`) by making its whole
top-level key secret. Once decrypted, the program cannot tell which nested value was secure, so
every webhook URL under a secret `acs-platform:instances` is kept secret. Offline (preflight) the
value is the placeholder `[secret]` where the secure value was, which says exactly where it is.
"""

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .errors import FOREIGN_KEYS, NAMESPACE, key_path

# What a secure value is offline: preflight has no key to decrypt it (preflight/stacks.py).
SECRET_PLACEHOLDER = "[secret]"

INSTANCES = "instances"
INSTANCES_KEY = f"{NAMESPACE}:{INSTANCES}"
# The one place a secure value may be, below `instances`: (index, "events", ...).
_WEBHOOK_URL = ("events", "subscriptions", int, "destination", "webhook", "url")
_TAG_FIELDS = ("environment", "owner", "costCenter", "tags")

# Query parameters that carry a credential: exact names, and name parts (`client_secret`).
_CREDENTIAL_NAMES = {"code", "sig", "signature", "apikey", "api-key", "api_key", "auth", "pwd", "passwd"}
_CREDENTIAL_PARTS = {"key", "token", "password", "secret", "apikey", "sig"}


def full_key(field: str) -> str:
    """The config key of a top-level model field: `owner` -> `acs-platform:owner`."""
    return FOREIGN_KEYS.get(field, f"{NAMESPACE}:{field}")


def webhook_urls_are_secret(secret_keys: frozenset[str]) -> bool:
    """Whether the program keeps webhook URLs secret: when `instances` holds a secure value."""
    return INSTANCES_KEY in secret_keys


def credential_parameters(url: str) -> list[str]:
    """The names of the URL's query parameters (and user info) that carry a credential."""
    try:
        parts = urlsplit(url)
        found = ["user info password"] if parts.password else []
    except ValueError:
        return []
    for name, _ in parse_qsl(parts.query, keep_blank_values=True):
        lowered = name.lower()
        if lowered in _CREDENTIAL_NAMES or set(re.split(r"[-_.]", lowered)) & _CREDENTIAL_PARTS:
            found.append(name)
    return sorted(set(found), key=found.index)


def _leaves(value: Any, loc: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*loc, index))
    else:
        yield loc, value


def _is_webhook_url(loc: tuple) -> bool:
    """(`instances`, 0, `events`, `subscriptions`, 1, `destination`, `webhook`, `url`)."""
    rest = loc[2:]
    return (
        len(loc) == 2 + len(_WEBHOOK_URL)
        and loc[0] == INSTANCES
        and isinstance(loc[1], int)
        and all(
            isinstance(part, int) if want is int else part == want
            for part, want in zip(rest, _WEBHOOK_URL, strict=True)
        )
    )


def webhook_urls(data: Mapping[str, Any]) -> Iterator[tuple[tuple, Any]]:
    """Each webhook URL in the model's input, with its location."""
    yield from ((loc, value) for loc, value in _leaves({INSTANCES: data.get(INSTANCES)}) if _is_webhook_url(loc))


def _cli_path(loc: tuple) -> str:
    """The `--path` of a location, as `pulumi config set` takes it."""
    return key_path(loc).removeprefix(f"{NAMESPACE}:")


def _is_tag(loc: tuple) -> bool:
    return loc[0] in _TAG_FIELDS or (len(loc) >= 3 and loc[0] == INSTANCES and loc[2] == "tags")


TAGS_ARE_PUBLIC = (
    "is a secure value, but it becomes an Azure tag, and tags are not secret: they are visible to anyone "
    "who can read the resource; set it in plain text, or keep the secret out of tags"
)
NOT_SECRET_CAPABLE = (
    "is a secure value, but the program writes it in plain text into resource names and settings; "
    "only an Event Grid webhook URL (instances[].events.subscriptions[].destination.webhook.url) may be secure"
)


def secure_problems(data: Mapping[str, Any], secret_keys: frozenset[str]) -> list[str]:
    """What is wrong with the stack's secure values, and which credentials are in plain text.

    `data` is the model's input (`model_input`), `secret_keys` the config keys Pulumi marks secret.
    No message shows a value: a secure one is secret, and a plain one may carry a credential."""
    problems: list[str] = []
    secret_fields = [field for field in data if full_key(field) in secret_keys]
    placeholders: set[tuple] = set()
    for field in secret_fields:
        value = data[field]
        if field in _TAG_FIELDS:
            problems.append(f"{key_path((field,))}: {TAGS_ARE_PUBLIC}")
        elif field != INSTANCES:
            problems.append(f"{key_path((field,))}: {NOT_SECRET_CAPABLE}")
        elif not isinstance(value, list):
            problems.append(
                f"{key_path((field,))}: is a secure value as a whole; make only the webhook URLs in it secure "
                "(pulumi config set --secret --path 'instances[0].events.subscriptions[0].destination.webhook.url')"
            )
        else:
            placeholders = {loc for loc, leaf in _leaves({INSTANCES: value}) if leaf == SECRET_PLACEHOLDER}
            for loc in sorted(placeholders, key=str):
                if not _is_webhook_url(loc):
                    problems.append(f"{key_path(loc)}: {TAGS_ARE_PUBLIC if _is_tag(loc) else NOT_SECRET_CAPABLE}")
            if not placeholders and not any(True for _ in webhook_urls(data)):
                # Decrypted, as under `pulumi up`: where the secure value was is not known, but
                # without any webhook URL it is somewhere it may not be.
                problems.append(
                    f"{key_path((field,))}: holds a secure value, and has no webhook URL: {NOT_SECRET_CAPABLE}"
                )

    instances_secret = INSTANCES in secret_fields
    for loc, url in webhook_urls(data):
        # Offline each secure value is a placeholder; decrypted, any URL under the key may be one.
        secure = instances_secret and (loc in placeholders or not placeholders)
        if url == SECRET_PLACEHOLDER and not secure:
            problems.append(f"{key_path(loc)}: '[secret]' is what a plan shows for a secure value, not a URL")
        elif isinstance(url, str) and not secure and (names := credential_parameters(url)):
            problems.append(
                f"{key_path(loc)}: carries a credential ({', '.join(names)}) that every plan, preview and the "
                f"state would show in plain text; make the URL a secret: "
                f"pulumi config set --secret --path '{_cli_path(loc)}' '<url>'"
            )
    return problems


def has_credentials(data: Mapping[str, Any]) -> bool:
    """Whether a webhook URL carries a credential: errors must not show it, secure or not."""
    return any(isinstance(url, str) and credential_parameters(url) for _, url in webhook_urls(data))
