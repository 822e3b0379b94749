# launchpad: the commands the README shows. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
# The oldest Python launchpad runs on: the one number pyproject.toml, the template and the README say too.
PYTHON_FLOOR := 3.11
VENV := .venv
BIN := $(VENV)/bin
CHECKOV_ENV := .tools/checkov
# The SBOM generator of `make release` (cyclonedx-bom), kept out of .venv: see pyproject.toml's dev extra.
SBOM_ENV := .tools/cyclonedx
SBOM_VERSION := 7.5.0
# pytest-xdist workers. The machines we target have 2 cores, but applies spend long stretches in provider
# waiters (S3 lifecycle: 55 s each) and rollouts, so more workers than cores fill them. At 2472 tests and
# ~15 CPU-minutes: 8.7 min with 4 workers, 7.9 min with 5 (README, "What the suite costs").
WORKERS ?= 5
CHECKOV_VERSION := 3.3.30
# The SARIF 2.1.0 JSON schema the policy tests validate against, from an npm package (MIT) pinned by sha256.
SARIF_SCHEMA := .tools/schemas/sarif-2.1.0.json
SARIF_PACKAGE := https://registry.npmjs.org/@microsoft/jest-sarif/-/jest-sarif-1.0.0-beta.0.tgz
SARIF_PACKAGE_SHA256 := 748e2c3d1a842e7bb258416685c7ea3a0da40005b72267b2052c2856d48ad102
LOCK_TMP := /tmp/launchpad-lock
# Debian's headless Chromium, for the drift report's browser test (tests/unit/test_monitor_report.py).
CHROMIUM_STAMP := .tools/chromium.ok
# The environment of `make plan|apply|destroy`: a terraform/platform/envs/<ENV>.tfvars (sandbox needs no account).
ENV ?= sandbox

.PHONY: help setup test test-fast test-aws lint fmt docs policy demo bench bench-evidently release lock clean plan apply destroy

help: ## Show the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(BIN)/.installed $(CHECKOV_ENV)/.parse-tables $(SBOM_ENV)/.installed $(SARIF_SCHEMA) $(CHROMIUM_STAMP) ## Install pinned Python deps, checkov, the SBOM tool, chromium; check terraform
	@$(BIN)/launchpad doctor
	@# pytest rewrites the asserts of each test module in every worker of every run unless it finds the module
	@# rewritten in __pycache__, which it never writes with PYTHONDONTWRITEBYTECODE set: ~5 CPU-s per worker.
	@# One collection with bytecode on writes them (a test module changed since is rewritten as before).
	@env -u PYTHONDONTWRITEBYTECODE LAUNCHPAD_SANDBOX_URL=http://127.0.0.1:9 \
		$(BIN)/pytest --collect-only -q -p no:cacheprovider >/dev/null \
		|| echo "note: collecting the tests failed (make test says why); the others' bytecode is written"

# Everything for development: the pinned lock, then launchpad-serving and launchpad editable from this
# checkout with every extra (sandbox, test, dev); a user's `pip install launchpad` gets the base only.
$(BIN)/.installed: requirements.lock pyproject.toml scripts/serving/pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python >= $(PYTHON_FLOOR)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < tuple(map(int, "$(PYTHON_FLOOR)".split("."))))' \
		|| { echo "error: $(PYTHON) is Python $$($(PYTHON) -V 2>&1 | cut -d' ' -f2); launchpad needs >= $(PYTHON_FLOOR) (make setup PYTHON=python3.12)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e scripts/serving -e '.[sandbox,test,dev,monitor,assistant]'
	@# An editable install compiles nothing; with PYTHONDONTWRITEBYTECODE set, every launchpad process would
	@# compile the package again (~0.3 s of CPU each, hundreds of times in `make test`).
	$(BIN)/python -m compileall -q scripts
	@touch $@

$(CHECKOV_ENV)/.installed: requirements-checkov.lock
	$(PYTHON) -m venv $(CHECKOV_ENV)
	$(CHECKOV_ENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-checkov.lock
	@touch $@

# checkov's JSONPath parser (bc-jsonpath-ng, on PLY) builds its LALR tables again for every expression it parses:
# ~200 times in a scan of modules/, a sixth of its CPU. PLY reads the tables from the module the parser names when
# it is there and holds the same grammar's signature (else it builds them, as before), so they are written once.
# The same findings; a scan of modules/ 41 -> 32 CPU-s, of terraform/ 18 -> 14.
CHECKOV_PARSE_TABLES := import os, ply.yacc; from bc_jsonpath_ng import parser as b; from bc_jsonpath_ng.ext import parser as e; [ply.yacc.yacc(module=g(), start="jsonpath", tabmodule="parser_jsonpath_parsetab", outputdir=os.path.dirname(m.__file__), debug=False, write_tables=True) for m, g in ((b, b.JsonPathParser), (e, e.ExtentedJsonPathParser))]

$(CHECKOV_ENV)/.parse-tables: $(CHECKOV_ENV)/.installed
	$(CHECKOV_ENV)/bin/python -c '$(CHECKOV_PARSE_TABLES)' \
		|| echo "note: checkov's parse tables were not written; checkov builds them as it goes (slower)"
	@touch $@

$(SBOM_ENV)/.installed: requirements-sbom.lock
	$(PYTHON) -m venv $(SBOM_ENV)
	$(SBOM_ENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-sbom.lock
	@touch $@

$(SARIF_SCHEMA):
	@mkdir -p $(@D)
	curl -fsSL --retry 3 -o $(@D)/sarif.tgz $(SARIF_PACKAGE)
	echo "$(SARIF_PACKAGE_SHA256)  $(@D)/sarif.tgz" | sha256sum --check --quiet
	tar -xzOf $(@D)/sarif.tgz package/lib/schemas/sarif-2.1.0-rtm.5.json > $@.tmp && mv $@.tmp $@
	@rm -f $(@D)/sarif.tgz

# apt-get as root, else through `sudo -n`; the stamp is redone when /usr/bin/chromium has gone.
$(CHROMIUM_STAMP): $(if $(wildcard /usr/bin/chromium),,FORCE)
	@mkdir -p $(@D)
	@command -v chromium >/dev/null || { \
		apt="$$([ "$$(id -u)" = 0 ] || echo sudo -n) env DEBIAN_FRONTEND=noninteractive apt-get -y -qq"; \
		echo "installing Debian's chromium: apt-get install --no-install-recommends chromium"; \
		$$apt install --no-install-recommends chromium >/dev/null \
		|| { $$apt update && $$apt install --no-install-recommends chromium >/dev/null; } \
		|| { echo "error: could not install chromium (apt-get needs root or passwordless sudo). Install it with"; \
			echo "  sudo apt-get install -y --no-install-recommends chromium"; echo "and run make setup again."; exit 1; }; }
	@chromium --version 2>/dev/null || { echo "error: chromium is installed but does not start: run chromium --version"; exit 1; }
	@touch $@

FORCE:

test: ## Fast and sandbox tiers (one sandbox per run, parallel); `make lint` is one of the tests
	$(BIN)/pytest -n $(WORKERS) --dist loadgroup -m "not aws"

test-fast: ## Only the tiers that do not apply anything (`make lint` included)
	$(BIN)/pytest -n $(WORKERS) --dist loadgroup -m "not aws and not sandbox"

test-aws: ## The same tests against the AWS account in your environment (opt-in, costs money)
	LAUNCHPAD_AWS_TESTS=1 $(BIN)/pytest -m aws

lint: ## ruff (lint and format check) over the package and tests; mypy over both packages
	$(BIN)/ruff check scripts tests
	$(BIN)/ruff format --check scripts tests
	$(BIN)/mypy

fmt: ## Format Terraform and Python
	terraform fmt -recursive modules terraform
	$(BIN)/ruff format scripts tests

docs: ## Regenerate the inputs/outputs tables in module READMEs
	$(BIN)/launchpad docs

policy: ## Policy checks (checkov + policies/checks) over modules/ and terraform/; reports in policy-results/
	$(BIN)/launchpad policy --output-dir policy-results --format json --format sarif --format junit --format markdown

plan: ## Plan terraform/platform for ENV (dev, staging, prod, sandbox; default sandbox)
	$(BIN)/launchpad plan --env $(ENV)

apply: ## Plan, confirm and apply terraform/platform to ENV (sandbox: no account, no prompt)
	$(BIN)/launchpad apply --env $(ENV)

destroy: ## Destroy terraform/platform in ENV
	$(BIN)/launchpad destroy --env $(ENV)

demo: ## The platform on the sandbox: apply it, ship a baked model project (canary rolls back), drift retrains it and the new version canaries into production, tear down
	$(BIN)/launchpad demo

bench: ## Time examples, stacks, alarms, Lambda, pipelines, the demo, policy, a baked project's training pipeline, the tuner vs a grid; profile the suite (ONLY=suite/profile); bench-results/
	$(BIN)/launchpad bench --output-dir bench-results $(if $(ONLY),--only $(ONLY))

# evidently only for `make bench`'s monitor/drift comparison (~1 GB, 79 packages): never a dependency.
EVIDENTLY_ENV := .tools/evidently
EVIDENTLY_VERSION := 0.7.23
# evidently 0.7.23 imports a pandas internal that pandas 3 removed.
EVIDENTLY_PANDAS := 2.3.3

bench-evidently: $(EVIDENTLY_ENV)/.installed ## Install evidently (bench-only) so `make bench` compares the drift job with it

$(EVIDENTLY_ENV)/.installed:
	$(PYTHON) -m venv $(EVIDENTLY_ENV)
	$(EVIDENTLY_ENV)/bin/pip install --quiet --disable-pip-version-check evidently==$(EVIDENTLY_VERSION) pandas==$(EVIDENTLY_PANDAS)
	@touch $@

release: ## Build this version's wheels, sdists, modules archive, SBOM and SHA256SUMS into dist/ (RELEASING.md)
	rm -rf dist
	$(BIN)/launchpad release build --output-dir dist

lock: ## Re-pin requirements*.lock (after changing pyproject.toml, CHECKOV_VERSION or SBOM_VERSION; needs PyPI)
	rm -rf $(LOCK_TMP) && $(PYTHON) -m venv $(LOCK_TMP)/app && $(PYTHON) -m venv $(LOCK_TMP)/checkov
	$(PYTHON) -m venv $(LOCK_TMP)/sbom
	$(LOCK_TMP)/app/bin/pip install --quiet -e scripts/serving -e '.[sandbox,test,dev,monitor,assistant]'
	$(LOCK_TMP)/checkov/bin/pip install --quiet checkov==$(CHECKOV_VERSION)
	$(LOCK_TMP)/app/bin/pip freeze --exclude-editable > $(LOCK_TMP)/app.freeze
	$(LOCK_TMP)/sbom/bin/pip install --quiet -c $(LOCK_TMP)/app.freeze cyclonedx-bom==$(SBOM_VERSION)
	{ head -2 requirements.lock; cat $(LOCK_TMP)/app.freeze; } > $(LOCK_TMP)/app.lock
	{ head -2 requirements-checkov.lock; $(LOCK_TMP)/checkov/bin/pip freeze; } > $(LOCK_TMP)/checkov.lock
	{ head -2 requirements-sbom.lock; $(LOCK_TMP)/sbom/bin/pip freeze; } > $(LOCK_TMP)/sbom.lock
	mv $(LOCK_TMP)/app.lock requirements.lock && mv $(LOCK_TMP)/checkov.lock requirements-checkov.lock
	mv $(LOCK_TMP)/sbom.lock requirements-sbom.lock
	rm -rf $(LOCK_TMP)

clean: ## Remove the virtualenvs and local state (not your ~/.terraformrc: launchpad never touches it)
	-$(BIN)/launchpad sandbox down
	rm -rf $(VENV) .tools .launchpad bench-results .pytest_cache dist
