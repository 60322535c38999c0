"""Evaluation suites (`overseer eval`): each case a real run, judged by pydantic-evals."""
