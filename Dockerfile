# The Overseer worker image (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY contracts ./contracts
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
COPY starters ./starters
RUN pip install --no-cache-dir . && useradd --create-home overseer
USER overseer
# SIGTERM lets in-flight activities finish before the worker exits.
STOPSIGNAL SIGTERM
CMD ["overseer", "worker"]
