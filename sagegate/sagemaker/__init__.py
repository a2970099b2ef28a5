"""The SageMaker service: importing this package registers its operations."""
