"""The tools a model may call, each a supervised activity: declarations (base, registry),
the activity that runs them (activity) and the tools themselves. Imports contracts only."""
