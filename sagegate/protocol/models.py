"""Botocore service models: loading, operation lookup and request routing tables.

The wire format of every service sagegate speaks is described by botocore's own
``service-2.json`` models (the same files boto3 uses to build requests).  This module
loads them once per process and derives the small lookup tables the request path needs:

* query services (awsquery: IAM, STS) are addressed by ``(Action, Version)``;
* JSON services (awsjson 1.1: SageMaker) by ``X-Amz-Target: <targetPrefix>.<Operation>``;
* SigV4 credential scopes name the service by ``signingName`` (or ``endpointPrefix``).
"""

from __future__ import annotations

from functools import cache

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape

#: Services sagegate serves, by botocore name.
SERVICES: tuple[str, ...] = ("iam", "sts", "sagemaker")


@cache
def _loader() -> Loader:
    return Loader()


@cache
def service_model(service: str) -> ServiceModel:
    """The botocore ServiceModel for ``service`` (loaded once, cached for the process)."""
    if service not in SERVICES:
        raise KeyError(f"unknown service {service!r}")
    return ServiceModel(_loader().load_service_model(service, "service-2"), service)


#: Alias used by the server: the ServiceModel has ``.protocol``, ``.signing_name`` and
#: ``.operation_model(name)``.
load_service_model = service_model


@cache
def operation_model(service: str, operation: str) -> OperationModel:
    """The OperationModel for ``service``/``operation``; KeyError if the model has none."""
    model = service_model(service)
    if operation not in _operation_names(service):
        raise KeyError(f"{service} has no operation {operation!r}")
    return model.operation_model(operation)


@cache
def _operation_names(service: str) -> frozenset[str]:
    return frozenset(service_model(service).operation_names)


def operation_names(service: str) -> frozenset[str]:
    """All operation names the model of ``service`` defines."""
    return _operation_names(service)


def protocol(service: str) -> str:
    """The botocore protocol name of ``service``: ``"query"`` or ``"json"``."""
    return str(service_model(service).metadata["protocol"])


@cache
def signing_name(service: str) -> str:
    """The SigV4 service name in the credential scope (``signingName`` or ``endpointPrefix``)."""
    meta = service_model(service).metadata
    return str(meta.get("signingName") or meta["endpointPrefix"])


def xml_namespace(service: str) -> str:
    """The ``xmlns`` of a query service's responses and errors."""
    return str(service_model(service).metadata["xmlNamespace"])


@cache
def query_versions() -> dict[str, str]:
    """``Version`` value -> service name, for the awsquery services."""
    return {
        str(service_model(s).metadata["apiVersion"]): s for s in SERVICES if protocol(s) == "query"
    }


@cache
def json_target_prefixes() -> dict[str, str]:
    """``targetPrefix`` (the part of X-Amz-Target before the dot) -> service name."""
    return {
        str(service_model(s).metadata["targetPrefix"]): s for s in SERVICES if protocol(s) == "json"
    }


def query_operation(action: str, version: str) -> tuple[str, str] | None:
    """``(service, operation)`` for a query request's Action and Version, or None."""
    service = query_versions().get(version)
    if service is None or action not in _operation_names(service):
        return None
    return service, action


def json_operation(target: str) -> tuple[str, str] | None:
    """``(service, operation)`` for an ``X-Amz-Target`` header value, or None."""
    prefix, dot, name = target.partition(".")
    service = json_target_prefixes().get(prefix)
    if not dot or service is None or name not in _operation_names(service):
        return None
    return service, name


# --------------------------------------------------------------------------------------------
# Shape plans: a shape flattened once into plain attributes the codecs and the validator read.
# botocore's Shape objects resolve members through a resolver on each access; the hot path
# should not, so each codec walks these precomputed nodes instead (built lazily, cached).
# --------------------------------------------------------------------------------------------

_SCALAR_KINDS = {"long": "integer", "double": "float"}


class Node:
    """One shape as the codecs see it.  ``kind`` is the botocore type name with ``long`` folded
    into ``integer`` and ``double`` into ``float``.  Structures have ``members`` (member name ->
    (wire name, node)) and ``wire`` (wire name -> (member name, node)); lists ``item`` and
    ``item_name``; maps ``key``/``value`` and their wire names.  Constraint traits are kept for
    the validator."""

    __slots__ = (
        "kind",
        "name",
        "members",
        "wire",
        "required",
        "item",
        "item_name",
        "flattened",
        "key",
        "value",
        "key_name",
        "value_name",
        "min",
        "max",
        "enum",
        "enum_set",
        "pattern",
        "sensitive",
        "union",
        "jsonvalue",
        "valid",
    )

    def __init__(self, kind: str, name: str) -> None:
        self.kind = kind
        self.name = name
        self.members: dict[str, tuple[str, Node]] = {}
        self.wire: dict[str, tuple[str, Node]] = {}
        self.required: tuple[str, ...] = ()
        self.item: Node | None = None
        self.item_name = "member"
        self.flattened = False
        self.key: Node | None = None
        self.value: Node | None = None
        self.key_name = "key"
        self.value_name = "value"
        self.min: int | float | None = None
        self.max: int | float | None = None
        self.enum: tuple[str, ...] | None = None
        self.enum_set: frozenset[str] | None = None
        self.pattern: str | None = None
        self.sensitive = False
        self.union = False
        self.jsonvalue = False
        # The validator's memory of strings that met this shape's constraints (bounded).
        self.valid: set[str] = set()

    def __repr__(self) -> str:
        return f"Node({self.kind}, {self.name})"


_plans: dict[tuple[str, str, str], Node] = {}


def shape_plan(service: str, shape: Shape) -> Node:
    """The cached :class:`Node` for a botocore Shape of ``service`` (recursion-safe)."""
    key = (
        service,
        shape.name,
        repr(sorted(shape.serialization.items()))
        + repr(sorted((k, v) for k, v in shape.metadata.items() if k == "jsonvalue")),
    )
    node = _plans.get(key)
    if node is not None:
        return node
    kind = _SCALAR_KINDS.get(shape.type_name, shape.type_name)
    node = Node(kind, shape.name)
    _plans[key] = node  # before recursing: recursive shapes point back at this node
    meta = shape.metadata
    node.min = meta.get("min")
    node.max = meta.get("max")
    enum = meta.get("enum")
    if enum:
        node.enum = tuple(enum)
        node.enum_set = frozenset(enum)
    node.pattern = meta.get("pattern")
    node.sensitive = bool(meta.get("sensitive"))
    node.jsonvalue = bool(meta.get("jsonvalue"))
    node.flattened = bool(shape.serialization.get("flattened"))
    if kind == "structure":
        node.union = bool(meta.get("union"))
        node.required = tuple(meta.get("required", ()))
        for member_name, member_shape in shape.members.items():
            wire_name = member_shape.serialization.get("name", member_name)
            child = shape_plan(service, member_shape)
            node.members[member_name] = (wire_name, child)
            node.wire[wire_name] = (member_name, child)
    elif kind == "list":
        member = shape.member
        node.item = shape_plan(service, member)
        node.item_name = member.serialization.get("name", "member")
    elif kind == "map":
        node.key = shape_plan(service, shape.key)
        node.value = shape_plan(service, shape.value)
        node.key_name = shape.key.serialization.get("name", "key")
        node.value_name = shape.value.serialization.get("name", "value")
    return node


@cache
def input_plan(service: str, operation: str) -> Node | None:
    """The plan of an operation's input shape (None if it takes no input)."""
    shape = operation_model(service, operation).input_shape
    return None if shape is None else shape_plan(service, shape)


@cache
def output_plan(service: str, operation: str) -> Node | None:
    """The plan of an operation's output shape (None if it returns no body)."""
    shape = operation_model(service, operation).output_shape
    return None if shape is None else shape_plan(service, shape)
