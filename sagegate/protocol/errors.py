"""Errors that cross the wire: one base class whose attributes are the wire contract.

A handler (or any step of the request path) raises :class:`ServiceError`; the protocol codec
turns it into the service's error body (``<ErrorResponse>`` for awsquery, ``{"__type": ..}``
for awsjson) and the HTTP status.  Status and Sender/Receiver come from the service model's
error shapes (the ``error`` trait: ``code``, ``httpStatusCode``, ``senderFault``), and for the
errors no model lists, from one table built from AWS's "Common Errors" API reference page
(e.g. https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html).
"""

from __future__ import annotations

from functools import cache

from .models import service_model


class ServiceError(Exception):
    """An AWS error response: ``code`` and ``message`` on the wire, ``status`` as the HTTP
    status, ``sender_fault`` selects ``<Type>Sender</Type>`` vs ``Receiver`` (query)."""

    code: str
    message: str
    status: int
    sender_fault: bool

    def __init__(
        self, code: str, message: str = "", *, status: int = 400, sender_fault: bool = True
    ) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, status={self.status})"


class ValidationError(ServiceError):
    """Input failed the model's constraints.  ``code`` is ``ValidationError`` for awsquery
    services and ``ValidationException`` for awsjson ones; ``errors`` holds each message."""

    errors: tuple[str, ...]

    def __init__(self, errors: list[str] | tuple[str, ...], *, code: str = "ValidationError"):
        self.errors = tuple(errors)
        n = len(self.errors)
        noun = "validation error" if n == 1 else "validation errors"
        super().__init__(code, f"{n} {noun} detected: " + "; ".join(self.errors), status=400)


class NotImplementedOperation(ServiceError):
    """The operation exists in the model but sagegate has no handler for it (HTTP 501)."""

    def __init__(self, service: str, operation: str) -> None:
        self.service = service
        self.operation = operation
        super().__init__(
            "NotImplemented",
            f"The operation {operation} is not implemented by this {service} endpoint.",
            status=501,
            sender_fault=False,
        )


#: code -> (HTTP status, sender fault).  Errors common to all AWS APIs that no service model
#: lists, from AWS's "Common Errors" pages plus the codes SigV4 / JSON-protocol front ends use.
COMMON_ERRORS: dict[str, tuple[int, bool]] = {
    "AccessDenied": (403, True),
    "AccessDeniedException": (400, True),
    "IncompleteSignature": (400, True),
    "IncompleteSignatureException": (400, True),
    "InternalFailure": (500, False),
    "InternalError": (500, False),
    "InvalidAction": (400, True),
    "InvalidClientTokenId": (403, True),
    "InvalidParameterCombination": (400, True),
    "InvalidParameterValue": (400, True),
    "InvalidQueryParameter": (400, True),
    "InvalidSignatureException": (400, True),
    "MalformedQueryString": (404, True),
    "MissingAction": (400, True),
    "MissingAuthenticationToken": (403, True),
    "MissingAuthenticationTokenException": (403, True),
    "MissingParameter": (400, True),
    "NotAuthorized": (400, True),
    "NotImplemented": (501, False),
    "OptInRequired": (403, True),
    "RequestEntityTooLarge": (413, True),
    "RequestExpired": (400, True),
    "SerializationException": (400, True),
    "ServiceUnavailable": (503, False),
    "SignatureDoesNotMatch": (403, True),
    "ExpiredToken": (403, True),
    "Throttling": (400, True),
    "ThrottlingException": (400, True),
    "UnknownOperationException": (400, True),
    "UnrecognizedClientException": (400, True),
    "ValidationError": (400, True),
    "ValidationException": (400, True),
}


@cache
def _model_errors(service: str) -> dict[str, tuple[int, bool]]:
    """code -> (status, sender_fault) from the error shapes of ``service``'s model."""
    model = service_model(service)
    table: dict[str, tuple[int, bool]] = {}
    for name in model.shape_names:
        shape = model.shape_for(name)
        if not shape.metadata.get("exception"):
            continue
        trait = shape.metadata.get("error", {})
        code = trait.get("code", name)
        status = int(trait.get("httpStatusCode", 400))
        # C2J: an ``error`` trait without ``senderFault`` is a server fault; a shape with no
        # ``error`` trait at all (SageMaker's) is a client error unless marked ``fault``.
        if trait:
            sender = bool(trait.get("senderFault", False))
        else:
            sender = not shape.metadata.get("fault", False)
        table[code] = (status, sender)
    return table


def error_status(service: str, code: str) -> tuple[int, bool]:
    """``(HTTP status, sender_fault)`` for ``code`` as ``service`` returns it."""
    found = _model_errors(service).get(code) or COMMON_ERRORS.get(code)
    return found if found is not None else (400, True)


def service_error(service: str, code: str, message: str = "") -> ServiceError:
    """A ServiceError for ``code`` with the status and fault ``service``'s model gives it."""
    status, sender = error_status(service, code)
    return ServiceError(code, message, status=status, sender_fault=sender)


def common_error(code: str, message: str = "") -> ServiceError:
    """A ServiceError for one of the :data:`COMMON_ERRORS` (status and fault from the table)."""
    status, sender = COMMON_ERRORS.get(code, (400, True))
    return ServiceError(code, message, status=status, sender_fault=sender)
