# The two set-up commands of the README: `make demo` and `make test`.
# Each builds .venv from this repo's own pyproject.toml on first use (and again when it changes).
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test bench bench-peers redis

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/odoo-mcp demo

test: $(STAMP) redis
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q

# One test shares rate-limit counters between server processes through a real Redis
# (started and stopped by the test on loopback); Debian's package provides the binary.
redis:
	@command -v redis-server >/dev/null || { \
	  echo "installing redis-server (Debian package) for the shared-counter test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }

bench: $(STAMP)
	$(VENV)/bin/python -m bench

# This server beside the other Odoo MCP servers from PyPI (docs/benchmarks-peers.md); peers are
# looked for in $PEERBENCH_VENVS (../shared/peerbench/setup.sh installs them). Takes ~15 minutes.
bench-peers: $(STAMP)
	$(VENV)/bin/python -m bench.bench_peers
