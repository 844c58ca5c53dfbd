# The two set-up commands of the README: `make demo` and `make test`.
# Both build .venv with uv (installed from PyPI into .venv on first use: it resolves and installs
# in seconds where pip takes a minute) and reinstall only when pyproject.toml changes.
# `make demo` installs the package alone (what the demo runs); `make test` adds the test extras.
PYTHON ?= python3
VENV := .venv
UV := $(VENV)/bin/uv
# --compile-bytecode: uv does not write .pyc files by default, and where PYTHONDONTWRITEBYTECODE is
# set (as on the CI machine) nothing ever does: every server process the tests start would then
# compile pydantic, mcp & co. from source (measured: the suite 112 s instead of 64 s, start-up 2x).
INSTALL := $(UV) pip install --quiet --compile-bytecode --python $(VENV)/bin/python

.PHONY: demo test test-browser chromium bench bench-peers redis mutants

$(UV):
	@echo "make: creating $(VENV) and installing uv into it (first run only)"
	@$(PYTHON) -m venv $(VENV)
	@PIP_DISABLE_PIP_VERSION_CHECK=1 $(VENV)/bin/python -m pip install --quiet --quiet uv

$(VENV)/.demo: pyproject.toml | $(UV)
	@echo "make: installing odoo-guard-mcp and its runtime dependencies into $(VENV)"
	@$(INSTALL) -e .
	@touch $@

$(VENV)/.installed: pyproject.toml | $(UV)
	@echo "make: installing odoo-guard-mcp with its test extras into $(VENV)"
	@$(INSTALL) -e '.[test]'
	@touch $@ $(VENV)/.demo

demo: $(VENV)/.demo
	@$(VENV)/bin/odoo-mcp demo

# Four pytest workers on two cores: about half the suite waits on server processes and sockets,
# so two more workers fill that time (measured: -n 2 ~97 s, -n 4 ~77 s, -n 6 ~82 s on 2 cores).
# Our own modules are compiled first, for the same reason as --compile-bytecode above: an editable install
# leaves them to be compiled on import, and with PYTHONDONTWRITEBYTECODE set every server process a test
# starts would compile ~200 modules again (compileall writes the .pyc files whatever that variable says,
# and only for sources that changed). pytest runs without PYTHONDONTWRITEBYTECODE so that it keeps the test
# modules it rewrites for its assertion messages (tests/__pycache__): every worker rewrote all of them on
# every run, ~3 s of CPU each.
test: $(VENV)/.installed redis
	$(VENV)/bin/ruff check .
	@$(VENV)/bin/python -m compileall -q foundation odoo_mcp odoo_client guard tools tests >/dev/null
	env -u PYTHONDONTWRITEBYTECODE $(VENV)/bin/pytest -q -n 4

# The OAuth sign-in page in a real headless browser: Debian's chromium and chromium-driver (installed
# here when missing; nothing is downloaded at run time) driven by selenium (the `browser` extra).
test-browser: $(VENV)/.browser chromium
	$(VENV)/bin/pytest -q --browser tests/test_oauth_browser.py

$(VENV)/.browser: pyproject.toml $(VENV)/.installed
	@echo "make: installing the browser-test extra (selenium) into $(VENV)"
	@$(INSTALL) -e '.[test,browser]'
	@touch $@

chromium:
	@{ command -v chromium && command -v chromedriver; } >/dev/null || { \
	  echo "installing chromium and chromium-driver (Debian packages) for the browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

# One test shares rate-limit counters between server processes through a real Redis
# (started and stopped by the test on loopback); Debian's package provides the binary.
redis:
	@command -v redis-server >/dev/null || { \
	  echo "installing redis-server (Debian package) for the shared-counter test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }

# Mutation testing of guard/ and tools/addons/linking.py (mutation/run.py, docs/development.md): not part of
# `make test`; prints the kill rate per module and exits 1 under the floor (90%).
mutants: $(VENV)/.installed
	$(VENV)/bin/python mutation/run.py

bench: $(VENV)/.installed
	$(VENV)/bin/python -m bench

# This server beside the other Odoo MCP servers from PyPI (docs/benchmarks-peers.md); peers are
# looked for in $PEERBENCH_VENVS (../shared/peerbench/setup.sh installs them). Takes ~15 minutes.
bench-peers: $(VENV)/.installed
	$(VENV)/bin/python -m bench.bench_peers
