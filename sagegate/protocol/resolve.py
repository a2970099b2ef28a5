"""Which service and operation a request is for: step 1 of the request path.

* awsJson1_1 (SageMaker): ``X-Amz-Target: SageMaker.CreateNotebookInstance`` names the
  operation; an unknown target is ``UnknownOperationException``.
* awsQuery (IAM, STS): ``Action`` and ``Version`` parameters, in the form body (POST,
  ``application/x-www-form-urlencoded``) or the URL query string (GET and presigned URLs).
  A missing ``Action`` is ``MissingAction``; an Action the Version's model does not define is
  ``InvalidAction: Could not find operation <Action> for version <Version>`` (AWS's text;
  ``NO_VERSION_SPECIFIED`` stands in for a missing Version, as AWS prints it).

Errors are :class:`ResolveError`, which also says which protocol (and, when known, which
service's namespace) the error response must be written in.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote

from .errors import ServiceError, common_error
from .models import json_operation, query_operation, query_versions

#: The most form fields we accept in one request (IAM's largest requests have a few hundred).
MAX_FORM_FIELDS = 5000


class ResolveError(ServiceError):
    """The request names no operation we know.  ``protocol`` is ``"json"`` or ``"query"``;
    ``service`` the service whose error format to use, when the request says (else None)."""

    def __init__(
        self, code: str, message: str, *, protocol: str, service: str | None = None
    ) -> None:
        super().__init__(code, message, status=400, sender_fault=True)
        self.protocol = protocol
        self.service = service


def parse_form(body: bytes) -> dict[str, list[str]]:
    """Parse an ``application/x-www-form-urlencoded`` body, keeping blank values
    (boto3 sends ``PolicyArns=`` for an empty list)."""
    if not body:
        return {}
    try:
        return form_fields(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise common_error(
            "MalformedQueryString", "The request body is not a valid form."
        ) from None


def form_fields(text: str) -> dict[str, list[str]]:
    """``urllib.parse.parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)``,
    field for field (``&``-separated, empty fields skipped, ``+`` and percent-escapes decoded as
    UTF-8 with replacement, ValueError past the limit), without decoding the fields that have
    nothing to decode: most of a signed API request's."""
    if text.count("&") >= MAX_FORM_FIELDS:
        raise ValueError("Max number of fields exceeded")
    out: dict[str, list[str]] = {}
    for field in text.split("&"):
        if not field:
            continue
        name, _, value = field.partition("=")
        if "%" in name or "+" in name:
            name = unquote(name.replace("+", " "))
        if "%" in value or "+" in value:
            value = unquote(value.replace("+", " "))
        out.setdefault(name, []).append(value)
    return out


def _first(params: Mapping[str, list[str]] | None, name: str) -> str | None:
    if not params:
        return None
    values = params.get(name)
    return values[0] if values else None


def resolve(
    method: str,
    headers: Mapping[str, str],
    query: Mapping[str, list[str]],
    form: Mapping[str, list[str]] | None,
) -> tuple[str, str]:
    """``(service, operation)`` for a request; ``headers`` has lower-case names, ``query`` is
    the parsed URL query, ``form`` the parsed form body (None if the body is not a form).
    ``method`` does not change routing: query APIs accept GET and POST alike."""
    target = headers.get("x-amz-target")
    if target is not None:
        found = json_operation(target.strip())
        if found is None:
            raise ResolveError(
                "UnknownOperationException",
                f"Operation {target} is not supported by this endpoint.",
                protocol="json",
                service=None,
            )
        return found
    action = _first(form, "Action") or _first(query, "Action")
    version = _first(form, "Version") or _first(query, "Version")
    service = query_versions().get(version) if version else None
    if not action:
        raise ResolveError("MissingAction", "Missing Action", protocol="query", service=service)
    found = query_operation(action, version or "")
    if found is None:
        raise ResolveError(
            "InvalidAction",
            f"Could not find operation {action} for version {version or 'NO_VERSION_SPECIFIED'}",
            protocol="query",
            service=service,
        )
    return found
