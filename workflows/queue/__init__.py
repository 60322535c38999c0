"""RunQueueWorkflow (the run queue's durable state) and its pure book.

Runs talk to it by signal and update only; it imports contracts, nothing of workflows.run.
"""
