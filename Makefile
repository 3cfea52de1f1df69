# The two commands: `make demo` and `make test`. Both set everything up first
# (a virtual environment with the pinned packages, plus Debian packages the
# tests drive, such as tmux), so they work on a fresh machine.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# command:Debian package, installed when the command is missing
DEB_TOOLS := tmux:tmux rsvg-convert:librsvg2-bin openscad:openscad
PYTEST_ARGS ?=

.PHONY: demo test bench setup system clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "dorsal needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

# Debian packages: installed when missing (as root, or with sudo when available).
system:
	@missing=""; for pair in $(DEB_TOOLS); do cmd=$${pair%%:*}; pkg=$${pair#*:}; \
		command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi; \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

setup: $(STAMP) system

demo: setup
	$(VENV)/bin/dorsal demo

# pytest exits 5 when it collected nothing: that is a broken run, not a pass.
test: setup
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

bench: setup
	$(VENV)/bin/dorsal bench

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info host/*.egg-info
