"""The project's SageMaker pipeline: its definition, the checks made before anything runs, and its jobs."""
