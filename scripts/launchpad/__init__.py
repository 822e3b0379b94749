"""launchpad: ship ML and LLM models to AWS SageMaker safely (Terraform modules + Python tooling)."""

__version__ = "0.1.0"
