"""Size quotas of policy documents, from AWS's *IAM and AWS STS quotas* page.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html

IAM does not count white space when it measures a policy, so every limit here is in characters
without white space (`size_without_whitespace`). Inline-policy limits are aggregates over all
inline policies of one user, group or role: enforcing them is the IAM layer's job, which sums
`Policy.source_size`. The STS packed-size check of session policies is the STS layer's.
"""

from __future__ import annotations

from .ast import PolicyKind

# The IAM API's own bound on a PolicyDocument parameter (policyDocumentType: min 1, max 131072,
# pattern [\u0009\u000A\u000D\u0020-\u00FF]+). Raw characters, white space included.
MAX_DOCUMENT_CHARS = 131_072

MANAGED_POLICY_MAX = 6_144  # "Managed policy size: cannot exceed 6,144 characters"
USER_INLINE_AGGREGATE_MAX = 2_048  # all inline policies of one user together
GROUP_INLINE_AGGREGATE_MAX = 5_120  # all inline policies of one group together
ROLE_INLINE_AGGREGATE_MAX = 10_240  # all inline policies of one role together
TRUST_POLICY_DEFAULT_MAX = 2_048  # role trust policy; a quota increase allows up to 4,096
TRUST_POLICY_HARD_MAX = 4_096
SESSION_POLICY_MAX = 2_048  # plaintext of an inline session policy (AssumeRole* Policy)
RESOURCE_POLICY_MAX = 20_480  # S3 bucket-policy size; sagegate's bound for resource policies
SCP_MAX = 5_120  # AWS Organizations service control policy

# The default bound `parse` applies per kind. IDENTITY is the largest single identity policy AWS
# accepts (a role's inline aggregate); the IAM layer checks the precise per-entity quota.
DEFAULT_MAX_SIZE: dict[PolicyKind, int] = {
    PolicyKind.IDENTITY: ROLE_INLINE_AGGREGATE_MAX,
    PolicyKind.BOUNDARY: MANAGED_POLICY_MAX,
    PolicyKind.TRUST: TRUST_POLICY_DEFAULT_MAX,
    PolicyKind.SESSION: SESSION_POLICY_MAX,
    PolicyKind.RESOURCE: RESOURCE_POLICY_MAX,
    PolicyKind.SCP: SCP_MAX,
}

# The quota name AWS puts in its LimitExceeded message ("Cannot exceed quota for PolicySize: 6144").
QUOTA_NAME: dict[PolicyKind, str] = {
    PolicyKind.IDENTITY: "PolicySize",
    PolicyKind.BOUNDARY: "PolicySize",
    PolicyKind.TRUST: "ACLSizePerRole",
    PolicyKind.SESSION: "PolicySize",
    PolicyKind.RESOURCE: "PolicySize",
    PolicyKind.SCP: "PolicySize",
}

_WHITESPACE = (" ", "\t", "\n", "\r")


def size_without_whitespace(document: str) -> int:
    """Characters in `document` that IAM counts: all but space, tab, line feed, carriage return.

    Every white-space character is left out, inside JSON strings too, as IAM does. Linear time
    (a few C-level `str.count` passes), safe on any input.
    """
    return len(document) - sum(document.count(ch) for ch in _WHITESPACE)
