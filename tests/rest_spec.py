"""Checks HTTP requests and answers against Azure's published REST specs (Swagger 2.0), as vendored
under tests/specs/azure-rest-api-specs/ (see tests/specs/SOURCES.md).

Bodies are validated by `jsonschema.Draft4Validator` with a `FormatChecker`: Swagger 2.0 schema objects
are a JSON Schema draft-4 subset. `$ref`s, within a file (`#/definitions/X`) or to another file
(`../../../Common/.../common.json#/definitions/X`), resolve through a `referencing.Registry` of the
vendored files, each retrieved by its file URI. Before a file is registered, two Swagger extensions are
translated into draft 4: `x-nullable: true` allows null, and, for request bodies only, `readOnly`
properties are dropped (Azure ignores them in requests) and are no longer required. Other extensions
(`x-ms-*`, `discriminator`, ...) are unknown keywords to draft 4 and so ignored. The body of an operation
that consumes `application/merge-patch+json` is checked without its removals (RFC 7396: a member whose
value is null removes that member from the target), which are instructions rather than values its schema
describes: SipRouting's `{"trunks": {"<fqdn>": null}}` deletes a trunk.

A `$ref` to a file that is not vendored is reported as a problem when a check needs it, never skipped:
`RestSpec.missing_files` lists them up front.

A request's api-version must be the spec's `info.version`, except for the files in `VERSION_OVERRIDES`, each
published with an `info.version` that is not its folder's (see tests/specs/SOURCES.md).
"""

import datetime as dt
import json
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urldefrag, urlencode, urljoin, urlsplit
from urllib.request import url2pathname

from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT4

SPECS = Path(__file__).resolve().parent / "specs" / "azure-rest-api-specs" / "specification"
PHONE_NUMBERS_SPEC = SPECS / "communication/data-plane/PhoneNumbers/stable/2025-06-01/phonenumbers.json"
ARM_SPEC_DIR = SPECS / "communication/resource-manager/Microsoft.Communication/stable/2025-09-01"
COMMUNICATION_SERVICES_SPEC = ARM_SPEC_DIR / "CommunicationServices.json"
DOMAINS_SPEC = ARM_SPEC_DIR / "Domains.json"
EMAIL_SERVICES_SPEC = ARM_SPEC_DIR / "EmailServices.json"
SENDER_USERNAMES_SPEC = ARM_SPEC_DIR / "SenderUsernames.json"
SUPPRESSION_LISTS_SPEC = ARM_SPEC_DIR / "SuppressionLists.json"
SIP_ROUTING_SPEC = SPECS / "communication/data-plane/SipRouting/stable/2023-03-01/communicationservicessiprouting.json"

# A file a spec refers to that the copy it was taken from does not hold, and the vendored file read in
# its place. phonenumbers.json takes CommunicationError from Common 2021-03-07/common.json; the nearest
# stored version is 2022-07-13. Assumption, checked by tests/test_rest_spec.py against the SDK's own
# generated model: CommunicationError (code, message, target, details, innererror) is the same in both.
SUBSTITUTES = {
    SPECS / "communication/data-plane/Common/stable/2021-03-07/common.json": SPECS
    / "communication/data-plane/Common/stable/2022-07-13/common.json",
}

# A spec file whose `info.version` is not the api-version of the folder it is published in, and the
# api-version checked in its place: {file: (the info.version it declares, the api-version accepted)}.
# Only these files, and only while they still declare that version (`RestSpec` refuses the override
# otherwise, so an updated copy is noticed). SenderUsernames.json under stable/2025-09-01 (commit
# 008d8f51, the only stored version) declares "2025-05-01" (presumably copied from the 2025-05-01 folder),
# while every other file there, its own x-ms-examples (listByDomain.json: "api-version": "2025-09-01") and
# azure-mgmt-communication 3.0.0 (which sends 2025-09-01 for every operation) say 2025-09-01.
VERSION_OVERRIDES = {
    SENDER_USERNAMES_SPEC: ("2025-05-01", "2025-09-01"),
}

_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
_PARAMETER_KEYWORDS = (
    "type",
    "format",
    "enum",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "multipleOf",
)
_COMPOSITES = ("allOf", "anyOf", "oneOf", "not")
_NO_BODY_STATUSES = (202, 204)
MERGE_PATCH = "application/merge-patch+json"

# jsonschema checks "date-time" only when rfc3339-validator is installed, which this project does not
# install: the one format registered here stands in for it, as RFC 3339 (and so Swagger) defines it.
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    return "T" in instance.upper() and dt.datetime.fromisoformat(instance).tzinfo is not None


@dataclass(frozen=True)
class ExampleResponse:
    status: int
    headers: dict[str, str]
    body: Any  # None where the example gives no body

    def body_bytes(self) -> bytes:
        return b"" if self.body is None else json.dumps(self.body).encode()


@dataclass(frozen=True)
class Example:
    """An x-ms-examples file of an operation: its request, as the spec's parameters make it from the
    example's, and its responses by status."""

    file: Path
    operation_id: str
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    parameters: dict[str, Any]
    responses: dict[int, ExampleResponse]


@dataclass(frozen=True)
class _Operation:
    operation_id: str
    method: str
    template: str
    uri: str  # of the operation object, file URI and JSON pointer
    operation: dict[str, Any]
    parameters: list[tuple[dict[str, Any], str]]  # resolved parameter, URI of the parameter object


class RestSpec:
    """One Swagger 2.0 file of a REST API, with the files it refers to."""

    def __init__(self, path: Path, document: dict[str, Any], files: dict[str, Any], missing: list[str]):
        self.path = path
        self.uri = path.as_uri()
        self.document = document
        self.version: str = document["info"]["version"]
        if path in VERSION_OVERRIDES:
            declared, accepted = VERSION_OVERRIDES[path]
            if self.version != declared:
                raise ValueError(
                    f"{path} declares info.version {self.version!r}, not {declared!r}: VERSION_OVERRIDES is stale"
                )
            self.version = accepted
        self.missing_files = missing  # file URIs referred to but not vendored
        self._files = files  # file URI -> JSON contents, as published
        self._registries = {request: self._registry(request) for request in (False, True)}
        self._prepared: dict[tuple[str, bool], Any] = {}
        self._lock = threading.Lock()
        paths = document.get("paths") or {}
        # ARM matches the literal segments of its paths whatever their case; data planes do not.
        self.case_insensitive = document.get("host") == "management.azure.com" or any(
            p.lower().startswith(("/subscriptions/", "/providers/")) for p in paths
        )
        base_path = (document.get("basePath") or "").rstrip("/")
        self._operations: list[_Operation] = []
        for template, item in paths.items():
            pointer = f"/paths/{_escape(template)}"
            shared = [(p, f"{pointer}/parameters/{i}") for i, p in enumerate(item.get("parameters", []))]
            for method in _METHODS:
                if method not in item:
                    continue
                operation = item[method]
                own = [(p, f"{pointer}/{method}/parameters/{i}") for i, p in enumerate(operation.get("parameters", []))]
                resolved: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
                for parameter, where in [*shared, *own]:  # the operation's own override the path's
                    value, uri = self._parameter(parameter, f"{self.uri}#{where}")
                    resolved[(value["in"], value["name"])] = (value, uri)
                self._operations.append(
                    _Operation(
                        operation.get("operationId", f"{method.upper()} {template}"),
                        method.upper(),
                        base_path + template,
                        f"{self.uri}#{pointer}/{method}",
                        operation,
                        list(resolved.values()),
                    )
                )

    @classmethod
    def load(cls, path: Path) -> "RestSpec":
        """Loads the Swagger file at `path` and, transitively, every file its `$ref`s name."""
        path = path.resolve()
        files: dict[str, Any] = {}
        missing: list[str] = []
        pending = [path.as_uri()]
        while pending:
            uri = pending.pop()
            if uri in files or uri in missing:
                continue
            file = Path(url2pathname(urlsplit(uri).path))
            file = SUBSTITUTES.get(file, file)
            if not file.is_file():
                missing.append(uri)
                continue
            files[uri] = json.loads(file.read_text(encoding="utf-8"))
            pending.extend(urljoin(uri, ref) for ref in _file_refs(files[uri]))
        return cls(path, files[path.as_uri()], files, missing)

    # The checks

    def request_problems(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> list[str]:
        """What in this request the spec does not allow: no operation for its method and path, a
        missing or invalid parameter (api-version other than the spec's), a missing or invalid body."""
        found = self._match(method, target)
        if isinstance(found, str):
            return [found]
        operation, path_values = found
        label = f"{operation.operation_id} request"
        query = parse_qs(urlsplit(target).query, keep_blank_values=True)
        header_values = {name.lower(): value for name, value in headers.items()}
        problems: list[str] = []
        body_parameter: tuple[dict[str, Any], str] | None = None
        for parameter, uri in operation.parameters:
            where, name = parameter["in"], parameter["name"]
            if where == "body":
                body_parameter = (parameter, uri)
                continue
            if where == "query":
                value = query[name][0] if name in query else None
            elif where == "path":
                value = path_values.get(name)
            elif where == "header":
                value = header_values.get(name.lower())
            else:
                continue  # formData: none of the specs here have it
            if value is None:
                if parameter.get("required"):
                    problems.append(f"{label}: required {where} parameter {name!r} is missing")
                continue
            if where == "query" and name == "api-version" and value != self.version:
                problems.append(f"{label}: api-version {value!r} is not the spec's {self.version!r}")
                continue
            problems.extend(f"{label}: {where} parameter {name!r}: {m}" for m in _parameter_problems(parameter, value))
        if body_parameter is None:
            if body:
                problems.append(f"{label}: a body where the spec declares none")
        elif not body:
            if body_parameter[0].get("required"):
                problems.append(f"{label}: the required body is missing")
        else:
            if MERGE_PATCH in operation.operation.get("consumes", self.document.get("consumes", [])):
                body = _without_removals(body)
            problems.extend(f"{label}: {m}" for m in self._body_problems(f"{body_parameter[1]}/schema", body, True))
        return problems

    def response_problems(
        self, method: str, target: str, status: int, headers: Mapping[str, str], body: bytes
    ) -> list[str]:
        """What in this answer to the request (method, target) the spec does not allow: a status it does
        not declare (where there is no `default`), a body off its schema, a body where it declares
        none, an integer header that is not an integer.

        An empty body where the response declares a schema is a problem only when that schema has
        required properties and the status is neither 202 nor 204. Azure's 202s commonly carry no body
        even where the spec declares a schema (the phone numbers search's 202 declares
        PhoneNumberSearchResult; the SDK's poller reads only its headers), 204 has no content by
        definition, and a schema without required properties is met by nothing at all.
        """
        found = self._match(method, target)
        if isinstance(found, str):
            return [found]
        operation, _ = found
        responses = operation.operation.get("responses", {})
        key = str(status) if str(status) in responses else "default" if "default" in responses else None
        if key is None:
            return [
                f"{operation.operation_id} {status}: status not declared (the spec declares {', '.join(responses)})"
            ]
        label = f"{operation.operation_id} {status}" + (" (as default)" if key == "default" else "")
        response, uri = self._resolve(responses[key], f"{operation.uri}/responses/{_escape(key)}")
        problems: list[str] = []
        header_values = {name.lower(): value for name, value in headers.items()}
        for name, declared in (response.get("headers") or {}).items():
            value = header_values.get(name.lower())
            if value is not None and declared.get("type") == "integer" and not re.fullmatch(r"[+-]?\d+", value.strip()):
                problems.append(f"{label}: header {name!r}: {value!r} is not an integer")
        if "schema" not in response:
            if body:
                problems.append(f"{label}: a body where the spec declares none")
        elif not body:
            if status not in _NO_BODY_STATUSES and self._required(f"{uri}/schema"):
                problems.append(f"{label}: the body is missing")
        else:
            problems.extend(f"{label}: {m}" for m in self._body_problems(f"{uri}/schema", body, False))
        return problems

    def declared_headers(self, method: str, target: str, status: int) -> list[str]:
        """The headers the spec declares for this answer (informational: none is required)."""
        found = self._match(method, target)
        if isinstance(found, str):
            return []
        responses = found[0].operation.get("responses", {})
        key = str(status) if str(status) in responses else "default"
        if key not in responses:
            return []
        response, _ = self._resolve(responses[key], f"{found[0].uri}/responses/{_escape(key)}")
        return list(response.get("headers") or {})

    # The examples

    def examples(self) -> list[Example]:
        """The vendored x-ms-examples files of this spec's operations (those not vendored are left out)."""
        found: list[Example] = []
        for operation in self._operations:
            for reference in (operation.operation.get("x-ms-examples") or {}).values():
                file = Path(url2pathname(urlsplit(urljoin(self.uri, reference["$ref"])).path))
                if file.is_file():
                    found.append(self._example(operation, file))
        return found

    def _example(self, operation: _Operation, file: Path) -> Example:
        example = json.loads(file.read_text(encoding="utf-8"))
        values: dict[str, Any] = example.get("parameters", {})
        path = operation.template
        query: list[tuple[str, str]] = []
        headers: dict[str, str] = {}
        body = b""
        for parameter, _ in operation.parameters:
            where, name = parameter["in"], parameter["name"]
            value = values.get(name, (values.get("header") or {}).get(name) if where == "header" else None)
            if value is None:
                continue
            if where == "path":
                text = str(value)
                path = path.replace(f"{{{name}}}", text if parameter.get("x-ms-skip-url-encoding") else quote(text, ""))
            elif where == "query":
                query.append((name, _text(value)))
            elif where == "header":
                headers[name] = _text(value)
            elif where == "body":
                body = json.dumps(value).encode()
        responses = {
            int(status): ExampleResponse(int(status), dict(answer.get("headers") or {}), answer.get("body"))
            for status, answer in example.get("responses", {}).items()
            if status.isdigit()  # not "default": an error example, for no status in particular
        }
        target = f"{path}?{urlencode(query)}" if query else path
        return Example(file, operation.operation_id, operation.method, target, headers, body, values, responses)

    # The machinery

    def _match(self, method: str, target: str) -> tuple[_Operation, dict[str, str]] | str:
        path = urlsplit(target).path
        segments = [unquote(s) for s in path.split("/")]
        flags = re.IGNORECASE if self.case_insensitive else 0
        candidates: list[tuple[int, _Operation, dict[str, str]]] = []
        for operation in self._operations:
            template = operation.template.split("/")
            if len(template) != len(segments):
                continue
            values: list[str] = []
            literal = 0
            for pattern, segment in zip(template, segments, strict=True):
                match = re.fullmatch(_segment_regex(pattern), segment, flags)
                if match is None:
                    break
                values.extend(match.groups())
                literal += len(re.sub(r"\{[^}]*\}", "", pattern))
            else:
                names = re.findall(r"\{([^}]*)\}", operation.template)
                candidates.append((literal, operation, dict(zip(names, values, strict=True))))
        if not candidates:
            return f"no operation in the spec for {method} {path}"
        best = max(literal for literal, _, _ in candidates)
        chosen = [(o, v) for literal, o, v in candidates if literal == best and o.method == method.upper()]
        if not chosen:
            allowed = sorted({o.method for literal, o, _ in candidates if literal == best})
            return f"no operation in the spec for {method} {path} (its path allows {', '.join(allowed)})"
        return chosen[0]

    def _parameter(self, parameter: dict[str, Any], uri: str) -> tuple[dict[str, Any], str]:
        """The parameter object and its URI, following `$ref`s (to #/parameters or another file)."""
        while "$ref" in parameter:
            uri = urljoin(uri, parameter["$ref"])
            parameter = self._lookup(uri, prepared=False)
        return parameter, uri

    def _resolve(self, node: dict[str, Any], uri: str) -> tuple[dict[str, Any], str]:
        while "$ref" in node:
            uri = urljoin(uri, node["$ref"])
            node = self._lookup(uri, prepared=False)
        return node, uri

    def _lookup(self, uri: str, prepared: bool) -> Any:
        """What `uri` points to: in the file as published, or as prepared for checking answers."""
        file, fragment = urldefrag(uri)
        if prepared:
            return self._registries[False].resolver().lookup(uri).contents
        if file not in self._files:
            raise LookupError(f"{file} is not vendored")
        contents = self._files[file]
        for segment in unquote(fragment).split("/")[1:]:
            segment = segment.replace("~1", "/").replace("~0", "~")
            contents = contents[int(segment)] if isinstance(contents, list) else contents[segment]
        return contents

    def _required(self, uri: str) -> bool:
        """Whether the schema at `uri` (through $ref and allOf) has required properties."""
        try:
            schema = self._lookup(uri, prepared=True)
        except Unresolvable:
            return True
        if isinstance(schema, dict) and "$ref" in schema:
            return self._required(urljoin(uri, schema["$ref"]))
        if not isinstance(schema, dict):
            return False
        return bool(schema.get("required")) or any(
            self._required(f"{uri}/allOf/{i}") for i in range(len(schema.get("allOf", [])))
        )

    def _body_problems(self, schema_uri: str, body: bytes, request: bool) -> list[str]:
        try:
            instance = json.loads(body)
        except ValueError as error:
            return [f"the body is not JSON: {error}"]
        validator = Draft4Validator({"$ref": schema_uri}, registry=self._registries[request], format_checker=FORMATS)
        try:
            return [_message(error) for error in validator.iter_errors(instance)]
        except Unresolvable as error:
            return [f"cannot check the body: {error.ref} is not in the vendored specs"]

    def _registry(self, request: bool) -> Registry:
        def retrieve(uri: str) -> Resource:
            if uri not in self._files:
                raise NoSuchResource(ref=uri)
            return Resource.from_contents(self._prepare(uri, request), default_specification=DRAFT4)

        return Registry(retrieve=retrieve)  # type: ignore[call-arg]

    def _prepare(self, uri: str, request: bool) -> Any:
        with self._lock:
            if (uri, request) not in self._prepared:
                self._prepared[(uri, request)] = _draft4(self._files[uri], request)
            return self._prepared[(uri, request)]


def _draft4(node: Any, request: bool) -> Any:
    """The Swagger document `node` with x-nullable (and, for requests, readOnly) made draft 4."""
    if isinstance(node, list):
        return [_draft4(value, request) for value in node]
    if not isinstance(node, dict):
        return node
    schema = "in" not in node  # parameter objects keep their form: they are read, not validated
    if request and schema and node.get("readOnly") is True:
        return {}
    out = {key: _draft4(value, request) for key, value in node.items()}
    properties = node.get("properties")
    if request and isinstance(properties, dict) and isinstance(node.get("required"), list):
        read_only = {name for name, p in properties.items() if isinstance(p, dict) and p.get("readOnly") is True}
        out["required"] = [name for name in node["required"] if name not in read_only]
    if schema and out.pop("x-nullable", None) is True:
        if "$ref" in out or any(key in out for key in _COMPOSITES) or "type" not in out:
            return {"anyOf": [{"type": "null"}, out]}
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*types, "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def _without_removals(body: bytes) -> bytes:
    """A JSON merge patch without the members whose value is null (RFC 7396: each removes the target's member
    of that name). Nulls inside arrays stay: a merge patch replaces an array whole, so they are values."""
    try:
        patch = json.loads(body)
    except ValueError:
        return body  # not JSON: _body_problems says so
    return json.dumps(_drop_null_members(patch)).encode()


def _drop_null_members(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _drop_null_members(value) for key, value in node.items() if value is not None}
    return node


def _file_refs(node: Any) -> Iterable[str]:
    """The `$ref`s in `node` to other files (not those of x-ms-examples: they are examples, not specs)."""
    if isinstance(node, list):
        for value in node:
            yield from _file_refs(value)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
                yield urldefrag(value).url
            elif key != "x-ms-examples":
                yield from _file_refs(value)


def _parameter_problems(parameter: dict[str, Any], value: str) -> list[str]:
    schema = {key: parameter[key] for key in _PARAMETER_KEYWORDS if key in parameter}
    validator = Draft4Validator(schema, format_checker=FORMATS)
    return [_message(error) for error in validator.iter_errors(_coerce(value, parameter))]


def _coerce(value: str, parameter: Mapping[str, Any]) -> Any:
    """A query, path or header value as the parameter's type reads it (left as text when it cannot)."""
    kind = parameter.get("type")
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean":
        return {"true": True, "false": False}.get(value.lower(), value)
    if kind == "array":
        separator = {"ssv": " ", "tsv": "\t", "pipes": "|"}.get(parameter.get("collectionFormat", "csv"), ",")
        return [_coerce(item, parameter.get("items") or {}) for item in value.split(separator)]
    return value


def _message(error: ValidationError) -> str:
    while error.context:  # anyOf and the like: say what failed in the branch that came nearest
        # Not the {"type": "null"} branch that x-nullable adds, unless it is all there is.
        branches = [e for e in error.context if e.schema != {"type": "null"}] or error.context
        error = best_match(branches) or error
    return f"{error.json_path}: {error.message}"


def _segment_regex(pattern: str) -> str:
    parts = re.split(r"(\{[^}]*\})", pattern)
    return "".join("(.+)" if part.startswith("{") else re.escape(part) for part in parts)


def _escape(token: str) -> str:
    """`token` as one segment of a JSON pointer in a URI fragment."""
    return quote(token.replace("~", "~0").replace("/", "~1"), safe="")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return str(value)


class SpecSet:
    """The spec files one fake serves together (ARM's Microsoft.Communication comes in one file per
    resource type), and the paths it answers that no published spec describes: each of those is an
    assumption of the fake's, named here with the reason, and its traffic is not checked."""

    def __init__(self, specs: Sequence[RestSpec], undescribed: Mapping[str, str] | None = None):
        self.specs = list(specs)
        # path regular expression -> why no spec describes it
        self.undescribed = {re.compile(pattern, re.IGNORECASE): why for pattern, why in (undescribed or {}).items()}

    def request_problems(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> list[str]:
        spec = self._spec_for(method, target)
        if isinstance(spec, list):
            return spec
        return [] if spec is None else spec.request_problems(method, target, headers, body)

    def response_problems(
        self, method: str, target: str, status: int, headers: Mapping[str, str], body: bytes
    ) -> list[str]:
        spec = self._spec_for(method, target)
        if isinstance(spec, list):
            return spec
        return [] if spec is None else spec.response_problems(method, target, status, headers, body)

    def _spec_for(self, method: str, target: str) -> RestSpec | list[str] | None:
        """The spec with an operation for the request; None for an undescribed path; else the problem."""
        path = urlsplit(target).path
        if any(pattern.fullmatch(path) for pattern in self.undescribed):
            return None
        for spec in self.specs:
            if not isinstance(spec._match(method, target), str):
                return spec
        return [f"no operation in any of the specs for {method} {path}"]
