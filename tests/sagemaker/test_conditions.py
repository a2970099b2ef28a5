"""The condition keys each create call sets (Service Authorization Reference), and the
context a policy sees after `Context.build`: multivalued keys are tuples."""

from __future__ import annotations

from datetime import UTC, datetime

from sagegate.policy import Context
from sagegate.protocol.registry import Call, Caller
from sagegate.sagemaker import conditions


def call() -> Call:
    caller = Caller(
        account_id="111122223333",
        type="User",
        arn="arn:aws:iam::111122223333:user/u",
        userid="AIDA",
    )
    return Call("sagemaker", "X", caller, "eu-west-1", "rid", datetime.now(UTC), None)


def test_notebook_defaults_and_values() -> None:
    ctx = conditions.create_notebook(call(), {"InstanceType": "ml.t3.medium"})
    assert ctx == {
        "sagemaker:InstanceTypes": ("ml.t3.medium",),
        "sagemaker:RootAccess": "Enabled",
        "sagemaker:DirectInternetAccess": "Enabled",
    }
    ctx = conditions.create_notebook(
        call(),
        {
            "InstanceType": "ml.t3.medium",
            "AcceleratorTypes": ["ml.eia1.medium"],
            "RootAccess": "Disabled",
            "KmsKeyId": "k",
            "SubnetId": "subnet-1",
            "SecurityGroupIds": ["sg-1", "sg-2"],
            "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}],
        },
    )
    built = Context.build(ctx)
    assert built["sagemaker:vpcsecuritygroupids"] == ("sg-1", "sg-2")
    assert built["aws:tagkeys"] == ("a", "b")
    assert built["aws:requesttag/b"] == "2"
    assert built["sagemaker:volumekmskey"] == "k"
    assert built["sagemaker:acceleratortypes"] == ("ml.eia1.medium",)


def test_training_job_keys() -> None:
    ctx = conditions.create_training_job(
        call(),
        {
            "ResourceConfig": {"InstanceType": "ml.m5.large", "VolumeKmsKeyId": "v"},
            "OutputDataConfig": {"KmsKeyId": "o"},
            "StoppingCondition": {"MaxRuntimeInSeconds": 60},
            "VpcConfig": {"Subnets": ["s"], "SecurityGroupIds": ["g"]},
            "EnableNetworkIsolation": True,
        },
    )
    assert Context.build(ctx).entries == {
        "sagemaker:instancetypes": ("ml.m5.large",),
        "sagemaker:volumekmskey": "v",
        "sagemaker:outputkmskey": "o",
        "sagemaker:maxruntimeinseconds": "60",
        "sagemaker:vpcsubnets": ("s",),
        "sagemaker:vpcsecuritygroupids": ("g",),
        "sagemaker:networkisolation": "true",
        "sagemaker:intercontainertrafficencryption": "false",
    }


def test_endpoint_config_keys_name_models_by_arn() -> None:
    ctx = conditions.create_endpoint_config(
        call(),
        {
            "ProductionVariants": [
                {
                    "ModelName": "M",
                    "InstanceType": "ml.c5.large",
                    "AcceleratorType": "ml.eia1.medium",
                },
                {"ModelName": "n", "InstanceType": "ml.c5.xlarge"},
            ]
        },
    )
    assert ctx["sagemaker:InstanceTypes"] == ("ml.c5.large", "ml.c5.xlarge")
    assert ctx["sagemaker:ModelArn"] == (
        "arn:aws:sagemaker:eu-west-1:111122223333:model/m",
        "arn:aws:sagemaker:eu-west-1:111122223333:model/n",
    )
    assert ctx["sagemaker:AcceleratorTypes"] == ("ml.eia1.medium",)
