"""Amazon Resource Names: arn:partition:service:region:account-id:resource.

Follows *Identify AWS resources with Amazon Resource Names (ARNs)*
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html): six colon-separated
fields, the last of which (the resource) may itself contain ':' and '/' and is kept verbatim.
Region and account may be empty (S3 buckets, IAM); partition, service and resource may not.
Wildcards and policy variables are ordinary characters here: matching is `compile`'s business.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InvalidArn

# Partitions AWS currently defines; a policy Resource naming any other is rejected by IAM.
PARTITIONS: frozenset[str] = frozenset(
    {
        "aws",
        "aws-cn",
        "aws-us-gov",
        "aws-iso",
        "aws-iso-b",
        "aws-iso-e",
        "aws-iso-f",
        "aws-eusc",
    }
)


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"

    @property
    def resource_type(self) -> str:
        """The resource's type prefix: "role" for "role/path/name", "function" for
        "function:name", "" when the resource has neither '/' nor ':'."""
        for i, ch in enumerate(self.resource):
            if ch in "/:":
                return self.resource[:i]
        return ""


def parse_arn(s: str) -> Arn:
    """Split an ARN into its fields. Raises `InvalidArn` if `s` is not one."""
    parts = s.split(":", 5)
    if len(parts) != 6:
        raise InvalidArn(s, "expected 6 ':'-separated fields")
    prefix, partition, service, region, account, resource = parts
    if prefix != "arn":
        raise InvalidArn(s, "must start with 'arn:'")
    if not partition:
        raise InvalidArn(s, "partition is empty")
    if not service:
        raise InvalidArn(s, "service is empty")
    if not resource:
        raise InvalidArn(s, "resource is empty")
    return Arn(partition, service, region, account, resource)


def is_valid_arn(s: str) -> bool:
    """True if `parse_arn(s)` would succeed."""
    try:
        parse_arn(s)
    except InvalidArn:
        return False
    return True
