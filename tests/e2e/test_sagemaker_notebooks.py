"""Notebook instances and lifecycle configs over real boto3 and the AWS CLI (issue 6): every
operation, the state machine with AWS's wrong-state errors, listing filters, sort and NextToken,
tags, and the presigned URL's page."""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.harness import Deployment
from tests.e2e.helpers import sagemaker_role

TRANSITION = "2"  # seconds a transitional state lasts in this module's server


@pytest.fixture(scope="module", autouse=True)
def _transitions() -> Iterator[None]:
    old = os.environ.get("SAGEGATE_SAGEMAKER_TRANSITION_SECONDS")
    os.environ["SAGEGATE_SAGEMAKER_TRANSITION_SECONDS"] = TRANSITION
    yield
    if old is None:
        del os.environ["SAGEGATE_SAGEMAKER_TRANSITION_SECONDS"]
    else:
        os.environ["SAGEGATE_SAGEMAKER_TRANSITION_SECONDS"] = old


@pytest.fixture(scope="module")
def role(deployment: Deployment) -> str:
    return sagemaker_role(deployment, "nb-exec")


def wait_for(sm: Any, name: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        found = sm.describe_notebook_instance(NotebookInstanceName=name)
        if found["NotebookInstanceStatus"] == status or time.monotonic() > deadline:
            return dict(found)
        time.sleep(0.2)


def error(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_notebook_lifecycle(deployment: Deployment, role: str) -> None:
    account = deployment.account["account_id"]
    sm = deployment.client("sagemaker")
    arn = sm.create_notebook_instance(
        NotebookInstanceName="Life-Cycle",
        InstanceType="ml.t3.medium",
        RoleArn=role,
        Tags=[{"Key": "team", "Value": "ml"}],
    )["NotebookInstanceArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:{account}:notebook-instance/life-cycle"
    found = sm.describe_notebook_instance(NotebookInstanceName="Life-Cycle")
    assert found["NotebookInstanceStatus"] == "Pending"
    assert found["NotebookInstanceName"] == "Life-Cycle"
    assert found["RoleArn"] == role and found["InstanceType"] == "ml.t3.medium"
    assert found["DirectInternetAccess"] == "Enabled" and found["RootAccess"] == "Enabled"
    assert found["VolumeSizeInGB"] == 5
    assert found["Url"] == "life-cycle.notebook.us-east-1.sagemaker.aws"
    # Stopping a Pending notebook is refused with AWS's text.
    with pytest.raises(ClientError) as e:
        sm.stop_notebook_instance(NotebookInstanceName="Life-Cycle")
    assert error(e) == (
        "ValidationException",
        f"Status (Pending) not in ([InService]). Unable to transition to (Stopping) for "
        f"Notebook Instance ({arn})",
    )
    assert wait_for(sm, "Life-Cycle", "InService")["NotebookInstanceStatus"] == "InService"
    for call in (sm.delete_notebook_instance, sm.update_notebook_instance):
        with pytest.raises(ClientError) as e:
            call(NotebookInstanceName="Life-Cycle")
        assert error(e)[1].startswith("Status (InService) not in ([Stopped, Failed]).")
    sm.stop_notebook_instance(NotebookInstanceName="Life-Cycle")
    assert sm.describe_notebook_instance(NotebookInstanceName="Life-Cycle")[
        "NotebookInstanceStatus"
    ] in ("Stopping", "Stopped")
    wait_for(sm, "Life-Cycle", "Stopped")
    sm.update_notebook_instance(
        NotebookInstanceName="Life-Cycle", InstanceType="ml.m5.xlarge", VolumeSizeInGB=20
    )
    updated = wait_for(sm, "Life-Cycle", "Stopped")
    assert updated["InstanceType"] == "ml.m5.xlarge" and updated["VolumeSizeInGB"] == 20
    sm.start_notebook_instance(NotebookInstanceName="Life-Cycle")
    with pytest.raises(ClientError) as e:
        sm.start_notebook_instance(NotebookInstanceName="Life-Cycle")
    assert error(e)[1].startswith("Status (Pending) not in ([Stopped, Failed]).")
    wait_for(sm, "Life-Cycle", "InService")
    sm.stop_notebook_instance(NotebookInstanceName="Life-Cycle")
    wait_for(sm, "Life-Cycle", "Stopped")
    sm.delete_notebook_instance(NotebookInstanceName="Life-Cycle")
    # Deleting, then gone: boto3's own waiter agrees.
    sm.get_waiter("notebook_instance_deleted").wait(
        NotebookInstanceName="Life-Cycle", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    with pytest.raises(ClientError) as e:
        sm.describe_notebook_instance(NotebookInstanceName="Life-Cycle")
    assert error(e) == ("ValidationException", "RecordNotFound")
    # The name is free again: the new one takes the old one's place, as itself.
    sm.create_notebook_instance(
        NotebookInstanceName="life-cycle", InstanceType="ml.t3.medium", RoleArn=role
    )
    again = sm.describe_notebook_instance(NotebookInstanceName="LIFE-CYCLE")
    assert again["NotebookInstanceName"] == "life-cycle"


def test_duplicate_and_missing(deployment: Deployment, role: str) -> None:
    sm = deployment.client("sagemaker")
    arn = sm.create_notebook_instance(
        NotebookInstanceName="dup-nb", InstanceType="ml.t3.medium", RoleArn=role
    )["NotebookInstanceArn"]
    with pytest.raises(ClientError) as e:
        sm.create_notebook_instance(
            NotebookInstanceName="DUP-nb", InstanceType="ml.t3.medium", RoleArn=role
        )
    assert error(e) == (
        "ValidationException",
        f"Cannot create a duplicate Notebook Instance ({arn})",
    )
    for op in ("stop", "start", "delete", "describe"):
        with pytest.raises(ClientError) as e:
            getattr(sm, f"{op}_notebook_instance")(NotebookInstanceName="no-such-nb")
        assert error(e) == ("ValidationException", "RecordNotFound")
    # The model's own constraints come first.
    with pytest.raises(ClientError) as e:
        sm.create_notebook_instance(
            NotebookInstanceName="bad_name!", InstanceType="ml.t3.medium", RoleArn=role
        )
    assert error(e)[0] == "ValidationException"


def test_list_filters_sort_and_pages(deployment: Deployment, role: str) -> None:
    sm = deployment.client("sagemaker")
    names = ["lst-b", "lst-a", "lst-c"]
    for n in names:
        sm.create_notebook_instance(
            NotebookInstanceName=n, InstanceType="ml.t3.medium", RoleArn=role
        )
    page = sm.list_notebook_instances(NameContains="lst-", SortBy="Name", SortOrder="Ascending")
    assert [x["NotebookInstanceName"] for x in page["NotebookInstances"]] == sorted(names)
    assert "NextToken" not in page
    first = sm.list_notebook_instances(
        NameContains="LST-", SortBy="Name", SortOrder="Descending", MaxResults=2
    )
    assert [x["NotebookInstanceName"] for x in first["NotebookInstances"]] == ["lst-c", "lst-b"]
    rest = sm.list_notebook_instances(
        NameContains="LST-",
        SortBy="Name",
        SortOrder="Descending",
        MaxResults=2,
        NextToken=first["NextToken"],
    )
    assert [x["NotebookInstanceName"] for x in rest["NotebookInstances"]] == ["lst-a"]
    # boto3's paginator walks the NextTokens.
    paginator = sm.get_paginator("list_notebook_instances")
    seen = [
        x["NotebookInstanceName"]
        for p in paginator.paginate(NameContains="lst-", PaginationConfig={"PageSize": 1})
        for x in p["NotebookInstances"]
    ]
    assert sorted(seen) == sorted(names)
    for n in names:
        wait_for(sm, n, "InService")
    sm.stop_notebook_instance(NotebookInstanceName="lst-a")
    wait_for(sm, "lst-a", "Stopped")
    stopped = sm.list_notebook_instances(NameContains="lst-", StatusEquals="Stopped")
    assert [x["NotebookInstanceName"] for x in stopped["NotebookInstances"]] == ["lst-a"]
    summary = stopped["NotebookInstances"][0]
    assert summary["InstanceType"] == "ml.t3.medium" and summary["NotebookInstanceArn"].endswith(
        ":notebook-instance/lst-a"
    )
    # The AWS CLI sees the same.
    out = deployment.aws("sagemaker", "list-notebook-instances", "--name-contains", "lst-")
    assert sorted(x["NotebookInstanceName"] for x in out["NotebookInstances"]) == sorted(names)


def test_lifecycle_configs_with_the_cli(deployment: Deployment, role: str) -> None:
    account = deployment.account["account_id"]
    arn = f"arn:aws:sagemaker:us-east-1:{account}:notebook-instance-lifecycle-config/lc-one"
    made = deployment.aws(
        "sagemaker",
        "create-notebook-instance-lifecycle-config",
        "--notebook-instance-lifecycle-config-name",
        "LC-one",
        "--on-start",
        "Content=ZWNobyBoaQ==",
    )
    assert made["NotebookInstanceLifecycleConfigArn"] == arn
    got = deployment.aws(
        "sagemaker",
        "describe-notebook-instance-lifecycle-config",
        "--notebook-instance-lifecycle-config-name",
        "LC-one",
    )
    assert got["OnStart"] == [{"Content": "ZWNobyBoaQ=="}] and got["OnCreate"] == []
    deployment.aws(
        "sagemaker",
        "update-notebook-instance-lifecycle-config",
        "--notebook-instance-lifecycle-config-name",
        "LC-one",
        "--on-create",
        "Content=ZWNobyBjcmVhdGU=",
    )
    sm = deployment.client("sagemaker")
    got = sm.describe_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName="LC-one"
    )
    assert got["OnCreate"] == [{"Content": "ZWNobyBjcmVhdGU="}]
    listed = sm.list_notebook_instance_lifecycle_configs(NameContains="lc-on")
    assert [
        x["NotebookInstanceLifecycleConfigArn"] for x in listed["NotebookInstanceLifecycleConfigs"]
    ] == [arn]
    with pytest.raises(ClientError) as e:
        sm.create_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName="lc-one")
    assert error(e) == (
        "ValidationException",
        f"Unable to create Notebook Instance Lifecycle Config {arn}. (Details: Notebook "
        "Instance Lifecycle Config already exists.)",
    )
    # A notebook may name it; a missing one is refused.
    sm.create_notebook_instance(
        NotebookInstanceName="with-lc",
        InstanceType="ml.t3.medium",
        RoleArn=role,
        LifecycleConfigName="LC-one",
    )
    assert (
        sm.describe_notebook_instance(NotebookInstanceName="with-lc")[
            "NotebookInstanceLifecycleConfigName"
        ]
        == "LC-one"
    )
    with pytest.raises(ClientError) as e:
        sm.create_notebook_instance(
            NotebookInstanceName="with-bad-lc",
            InstanceType="ml.t3.medium",
            RoleArn=role,
            LifecycleConfigName="nope",
        )
    assert "Notebook Instance Lifecycle Config does not exist." in error(e)[1]
    deployment.aws(
        "sagemaker",
        "delete-notebook-instance-lifecycle-config",
        "--notebook-instance-lifecycle-config-name",
        "lc-one",
    )
    with pytest.raises(ClientError) as e:
        sm.describe_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName="lc-one")
    assert error(e) == (
        "ValidationException",
        f"Unable to describe Notebook Instance Lifecycle Config '{arn}'. (Details: Notebook "
        "Instance Lifecycle Config does not exist.)",
    )


def test_tags(deployment: Deployment, role: str) -> None:
    sm = deployment.client("sagemaker")
    arn = sm.create_notebook_instance(
        NotebookInstanceName="tagged-nb",
        InstanceType="ml.t3.medium",
        RoleArn=role,
        Tags=[{"Key": "a", "Value": "1"}],
    )["NotebookInstanceArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [
        {"Key": "a", "Value": "3"},
        {"Key": "b", "Value": "2"},
    ]
    assert "NextToken" not in sm.list_tags(ResourceArn=arn, MaxResults=50)
    sm.delete_tags(ResourceArn=arn, TagKeys=["a"])
    out = deployment.aws("sagemaker", "list-tags", "--resource-arn", arn)
    assert out["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as e:
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert error(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:
        sm.list_tags(ResourceArn=arn.replace("tagged-nb", "no-such"))
    assert error(e)[0] == "ValidationException"


def test_presigned_url_opens_the_notebook_page(deployment: Deployment, role: str) -> None:
    sm = deployment.client("sagemaker")
    sm.create_notebook_instance(
        NotebookInstanceName="Web-NB", InstanceType="ml.t3.medium", RoleArn=role
    )
    url = sm.create_presigned_notebook_instance_url(
        NotebookInstanceName="Web-NB", SessionExpirationDurationInSeconds=1800
    )["AuthorizedUrl"]
    assert url.startswith(f"{deployment.endpoint}/sagemaker/notebook/web-nb?authToken=")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url)  # still Pending
    assert e.value.code == 409
    wait_for(sm, "Web-NB", "InService")
    with urllib.request.urlopen(url) as page:
        assert page.status == 200
        body = page.read().decode()
        assert "Web-NB" in body and page.headers["Cache-Control"] == "no-store"
    # A tampered or missing token is refused.
    for bad in (url[:-3] + "AAA", url.split("?")[0], url.replace("web-nb?", "other-nb?")):
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(bad)
        assert e.value.code == 403
    with pytest.raises(ClientError) as e:
        sm.create_presigned_notebook_instance_url(NotebookInstanceName="no-such-nb")
    assert error(e) == ("ValidationException", "RecordNotFound")
    out = deployment.aws(
        "sagemaker", "create-presigned-notebook-instance-url", "--notebook-instance-name", "web-nb"
    )
    with urllib.request.urlopen(out["AuthorizedUrl"]) as page:
        assert page.status == 200
