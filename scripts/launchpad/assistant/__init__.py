"""The medical question-answering assistant: retrieval, the Lambda function behind its API, and the offline
index build and evaluation (docs/assistant.md)."""
