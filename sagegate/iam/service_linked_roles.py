"""Service-linked roles: CreateServiceLinkedRole, DeleteServiceLinkedRole,
GetServiceLinkedRoleDeletionStatus (IAM API Reference; IAM User Guide, *Using service-linked
roles*).

sagegate knows the services it serves. For SageMaker (`sagemaker.amazonaws.com`) the role is
`AWSServiceRoleForAmazonSageMakerNotebooks` at `/aws-service-role/sagemaker.amazonaws.com/`, trusted
by the service, with the AWS managed policy `AmazonSageMakerNotebooksServiceRolePolicy` attached
(SageMaker AI Developer Guide, *AWS managed policies for SageMaker Notebooks*). The service does
not take a custom suffix. Deletion is immediate here, so a deletion task is done as soon as it
is issued; its id has AWS's form `task/aws-service-role/SERVICE/ROLE/UUID`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sagegate.iam.errors import store_errors
from sagegate.iam.roles import existing_role_keys, find_role, role_arn, role_shape
from sagegate.protocol.errors import ServiceError
from sagegate.protocol.registry import Call, registry


@dataclass(frozen=True)
class LinkedService:
    principal: str
    role_name: str
    policy_arn: str
    custom_suffix: bool = False

    @property
    def path(self) -> str:
        return f"/aws-service-role/{self.principal}/"

    def trust_policy(self) -> str:
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": self.principal},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            separators=(",", ":"),
        )


SERVICES = {
    s.principal: s
    for s in (
        LinkedService(
            principal="sagemaker.amazonaws.com",
            role_name="AWSServiceRoleForAmazonSageMakerNotebooks",
            policy_arn="arn:aws:iam::aws:policy/aws-service-role/"
            "AmazonSageMakerNotebooksServiceRolePolicy",
        ),
    )
}


def _service(params: dict[str, Any]) -> LinkedService:
    name = params["AWSServiceName"]
    service = SERVICES.get(name)
    if service is None:
        raise ServiceError("InvalidInput", f"Invalid service name: {name}")
    return service


def _new_role_arn(call: Call, params: dict[str, Any]) -> list[str]:
    service = SERVICES.get(params["AWSServiceName"])
    if service is None:  # authorized on the name it would have, as AWS forms it
        prefix = params["AWSServiceName"].split(".")[0]
        return [
            role_arn(
                call.caller.account_id,
                f"AWSServiceRoleFor{prefix}",
                f"/aws-service-role/{params['AWSServiceName']}/",
            )
        ]
    return [role_arn(call.caller.account_id, service.role_name, service.path)]


def _service_name_key(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return {"iam:AWSServiceName": params["AWSServiceName"]}


@registry.operation(
    "iam", "CreateServiceLinkedRole", resources=_new_role_arn, context=_service_name_key
)
def create_service_linked_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    service = _service(params)
    if params.get("CustomSuffix") and not service.custom_suffix:
        raise ServiceError("InvalidInput", f"Custom suffix is not allowed for {service.principal}")
    if find_role(call, service.role_name) is not None:
        raise ServiceError(
            "InvalidInput",
            f"Service role name {service.role_name} has been taken in this account, please try a "
            "different suffix.",
        )
    with store_errors():
        role = call.store.create_role(
            call.caller.account_id,
            service.role_name,
            service.trust_policy(),
            path=service.path,
            description=params.get("Description"),
            service_linked_to=service.principal,
            attach_policy_arns=(service.policy_arn,),
        )
    return {"Role": role_shape(role, last_used=False)}


def _target(call: Call, params: dict[str, Any]) -> list[str]:
    role = find_role(call, params["RoleName"])
    path = role.path if role is not None else "/"
    return [role_arn(call.caller.account_id, params["RoleName"], path)]


@registry.operation("iam", "DeleteServiceLinkedRole", resources=_target, context=existing_role_keys)
def delete_service_linked_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    with store_errors():
        role = call.store.get_role(call.caller.account_id, params["RoleName"])
        if role.service_linked_to is None:
            raise ServiceError("InvalidInput", f"Role {role.name} is not a service-linked role.")
        call.store.delete_service_linked_role(call.caller.account_id, role.name)
    task = f"task{role.path}{role.name}/{uuid.uuid4()}"
    return {"DeletionTaskId": task}


def _task_role(params: dict[str, Any]) -> tuple[str, str] | None:
    """(path, role name) named by a deletion task id, or None if it is not of AWS's form."""
    parts = params["DeletionTaskId"].split("/")
    if len(parts) != 5 or parts[0] != "task" or parts[1] != "aws-service-role":
        return None
    try:
        uuid.UUID(parts[4])
    except ValueError:
        return None
    return f"/aws-service-role/{parts[2]}/", parts[3]


def _task_target(call: Call, params: dict[str, Any]) -> list[str]:
    found = _task_role(params)
    if found is None:
        return ["*"]
    path, name = found
    return [role_arn(call.caller.account_id, name, path)]


@registry.operation("iam", "GetServiceLinkedRoleDeletionStatus", resources=_task_target)
def get_service_linked_role_deletion_status(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    found = _task_role(params)
    if found is None:
        raise ServiceError("InvalidInput", f"Invalid deletion task id: {params['DeletionTaskId']}")
    _, name = found
    if find_role(call, name) is not None:
        raise ServiceError(
            "NoSuchEntity",
            f"Deletion task {params['DeletionTaskId']} cannot be found.",
            status=404,
        )
    return {"Status": "SUCCEEDED"}
