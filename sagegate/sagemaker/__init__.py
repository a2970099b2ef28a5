"""The SageMaker service: importing this package registers its operations."""

from sagegate.sagemaker import (  # noqa: F401
    endpoint_configs,
    endpoints,
    lifecycle_configs,
    models,
    notebook_instances,
    presigned,
    processing_jobs,
    tags,
    training_jobs,
)
