"""The approval service: a JSON API, a web inbox and chat callbacks in front of Temporal.

It authenticates the person (OIDC/JWT bearer tokens, API tokens, or a trusted SSO proxy),
checks the run's policy, signs the decision with the service's key and sends it to the run,
which checks the policy again and verifies the signature (workflows.run.signatures).
"""
