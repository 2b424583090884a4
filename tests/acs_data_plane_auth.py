"""How the ACS data plane takes a request, for the fakes of its APIs (phone numbers, SIP routing): a
Microsoft Entra ID bearer token, or an HMAC-SHA256 signature made with the resource's access key as
azure-communication's HMACCredentialsPolicy signs (verb, path and query, date, host, SHA-256 of the body)."""

import base64
import hashlib
import hmac
from collections import Counter
from typing import Any


class DataPlaneAuth:
    """A fake's sign-in check. It counts the schemes it saw (`auth`), and checks signatures against
    `access_key` when the fake has one (`host` is the fake's, as signed)."""

    host: str
    access_key: str | None
    auth: Counter[str]

    def _refusal(self, method: str, target: str, headers: Any, body: bytes) -> str | None:
        """Why the request is refused (the 401's message), or None when it is signed in."""
        authorization = headers.get("Authorization", "")
        scheme = authorization.split(" ", 1)[0]
        if scheme == "Bearer" and authorization[len("Bearer ") :].strip():
            self.auth[scheme] += 1
            return None
        if scheme == "HMAC-SHA256":
            self.auth[scheme] += 1
            if self.access_key is None or self._signed(method, target, headers, body, authorization):
                return None
            return "The HMAC signature does not match the access key."
        return "Authorization is missing or not Bearer or HMAC-SHA256."

    def _signed(self, method: str, target: str, headers: Any, body: bytes, authorization: str) -> bool:
        content_hash = base64.b64encode(hashlib.sha256(body).digest()).decode()
        if headers.get("x-ms-content-sha256") != content_hash:
            return False
        to_sign = f"{method}\n{target}\n{headers.get('x-ms-date', '')};{self.host};{content_hash}"
        assert self.access_key is not None
        expected = base64.b64encode(
            hmac.new(base64.b64decode(self.access_key), to_sign.encode(), hashlib.sha256).digest()
        ).decode()
        return authorization.endswith(f"&Signature={expected}")
