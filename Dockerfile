# The Overseer worker image (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY contracts ./contracts
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
COPY starters ./starters
COPY overseer ./overseer
# The example payments tools (refund_order), pooled in deploy/: install your own tool
# packages here the same way.
COPY examples/acme-tools ./examples/acme-tools
RUN pip install --no-cache-dir . ./examples/acme-tools && useradd --create-home overseer
USER overseer
# SIGTERM lets in-flight activities finish before the worker exits.
STOPSIGNAL SIGTERM
CMD ["overseer", "worker"]
