"""AWS wire protocols driven by botocore's service models.

awsquery (IAM, STS) in :mod:`.query`, awsJson1_1 (SageMaker) in :mod:`.json11`, operation
routing in :mod:`.resolve`, constraint validation in :mod:`.validate`, the error contract in
:mod:`.errors`, model loading in :mod:`.models`.
"""

from __future__ import annotations

from .errors import (
    COMMON_ERRORS,
    NotImplementedOperation,
    ServiceError,
    ValidationError,
    common_error,
    error_status,
    service_error,
)
from .json11 import (
    CONTENT_TYPE as JSON_CONTENT_TYPE,
)
from .json11 import (
    ERROR_TYPE_HEADER,
    epoch_seconds,
    json_error_headers,
    parse_json_request,
    serialize_json_error,
    serialize_json_response,
)
from .models import (
    SERVICES,
    json_operation,
    load_service_model,
    operation_model,
    operation_names,
    protocol,
    query_operation,
    service_model,
    signing_name,
    xml_namespace,
)
from .query import (
    SerializationError,
    format_timestamp,
    parse_query_request,
    parse_timestamp,
    serialize_query_error,
    serialize_query_response,
)
from .resolve import ResolveError, parse_form, resolve
from .validate import compile_java_pattern, validate

QUERY_CONTENT_TYPE = "text/xml"

__all__ = [
    "COMMON_ERRORS",
    "ERROR_TYPE_HEADER",
    "JSON_CONTENT_TYPE",
    "QUERY_CONTENT_TYPE",
    "SERVICES",
    "NotImplementedOperation",
    "ResolveError",
    "SerializationError",
    "ServiceError",
    "ValidationError",
    "common_error",
    "compile_java_pattern",
    "epoch_seconds",
    "error_status",
    "format_timestamp",
    "json_error_headers",
    "json_operation",
    "load_service_model",
    "operation_model",
    "operation_names",
    "parse_form",
    "parse_json_request",
    "parse_query_request",
    "parse_timestamp",
    "protocol",
    "query_operation",
    "resolve",
    "serialize_json_error",
    "serialize_json_response",
    "serialize_query_error",
    "serialize_query_response",
    "service_error",
    "service_model",
    "signing_name",
    "validate",
    "xml_namespace",
]
