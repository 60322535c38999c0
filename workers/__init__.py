"""Worker processes: task queues, concurrency and rate limits, the workflow sandbox,
logging, telemetry and search-attribute setup. Imports workflows, activities and contracts;
never starters."""
