# Build and test entry points for the scalingo.cloud Ansible collection.
#
#   make test      every gate, with a summary (what CI runs through .ci/run)
#   make help      the list of targets
#
# Variables that can be set on the command line:
#   BASE_PYTHON=/path/to/python3.X    interpreter for ansible-core 2.21 and the tools (default: newest 3.12..3.14 found)
#   COMPAT_PYTHON=/path/to/python3.X  interpreter for ansible-core 2.18 (default: newest 3.11..3.13 found)
#   SANITY_ARGS='--test pylint'       extra ansible-test sanity arguments (with --test: controller Python only)
#   SANITY_PYTHONS=auto               Pythons for the compile/import tests: auto (every version the modules
#                                     claim, tests/config.yml), none, or a list such as "3.9 3.12"
#   UNITS_ARGS='--num-workers 1'      extra ansible-test units arguments
#   PYTEST_ARGS='-k user -x'          extra pytest arguments (make pytest, make e2e)
#   REQUIRE_ALL_GATES=1               make test fails when a gate is skipped (default: 1 when CI=true)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.SUFFIXES:
MAKEFLAGS += --no-builtin-rules

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD := $(ROOT)/build
COLLECTION := $(BUILD)/ansible_collections/scalingo/cloud
TOOLS := $(ROOT)/tools
REQ := $(ROOT)/tests/requirements
STATUS := $(BUILD)/gate-status
COLLECTION_VERSION := $(shell sed -n 's/^version: *//p' '$(ROOT)/galaxy.yml' 2>/dev/null)
TARBALL := $(BUILD)/dist/scalingo-cloud-$(COLLECTION_VERSION).tar.gz
INSTALLED := $(BUILD)/installed

# The newest and the oldest ansible-core lines the collection supports (meta/runtime.yml says >=2.18).
NEW_CORE := 2.21
OLD_CORE := 2.18

# ---------------------------------------------------------------------------
# Interpreters, found by tools/find_python.sh (PATH, then pyenv) and remembered in
# build/.<VARIABLE> ("<major.minor> <path>"); `make clean` forgets them.
# $(1): variable for the path, $(2): variable for X.Y, $(3)/$(4): lowest/highest minor version.
define discover_python
ifeq ($$(origin $(1)),undefined)
  $(1)_CACHED := $$(shell cat '$$(BUILD)/.$(1)' 2>/dev/null)
  ifneq ($$(and $$(word 2,$$($(1)_CACHED)),$$(wildcard $$(word 2,$$($(1)_CACHED)))),)
    $(2) := $$(word 1,$$($(1)_CACHED))
    $(1) := $$(word 2,$$($(1)_CACHED))
  else
    $(1) := $$(shell MIN_MINOR=$(3) MAX_MINOR=$(4) '$$(TOOLS)/find_python.sh' 2>/dev/null)
    ifneq ($$($(1)),)
      $(2) := $$(shell '$$($(1))' -c 'import sys; print("%d.%d" % sys.version_info[:2])')
      $$(shell mkdir -p '$$(BUILD)' && echo '$$($(2)) $$($(1))' > '$$(BUILD)/.$(1)')
    endif
  endif
else ifneq ($$($(1)),)
  $(2) := $$(shell '$$($(1))' -c 'import sys; print("%d.%d" % sys.version_info[:2])')
endif
endef

# ansible-core 2.20+ runs on Python 3.12..3.14; 2.18 on 3.11..3.13.
$(eval $(call discover_python,BASE_PYTHON,BASE_VERSION,12,14))
$(eval $(call discover_python,COMPAT_PYTHON,COMPAT_VERSION,11,13))

NO_BASE_PYTHON := no Python 3.12..3.14 on PATH or in pyenv, and ansible-core $(NEW_CORE) and the tools need one \
	(install one, or set BASE_PYTHON=/path/to/python3.X)
NO_COMPAT_PYTHON := no Python 3.11..3.13 on PATH or in pyenv, and ansible-core $(OLD_CORE) needs one \
	(install one, or set COMPAT_PYTHON=/path/to/python3.X)

# Any python3 is good enough for the small helper scripts that do not need ansible.
HELPER_PYTHON := $(or $(BASE_PYTHON),$(COMPAT_PYTHON),python3)

# ---------------------------------------------------------------------------
# Virtualenvs. The stamp file name carries a hash of the requirement files and of the
# interpreter, so a change to either rebuilds the virtualenv.
# $(1): virtualenv, $(2): requirement files, $(3): interpreter.
define venv_stamp
$(1)/.installed-$(shell (cat $(wildcard $(2)) /dev/null; echo '$(3)') | sha256sum | cut -c1-16)
endef

# ansible-core $(NEW_CORE) with every tool: build/venv-<python>.
VENV := $(BUILD)/venv-$(BASE_VERSION)
VENV_BIN := $(VENV)/bin
VENV_REQUIREMENTS := $(REQ)/ansible.txt $(REQ)/sanity.txt $(REQ)/units.txt $(REQ)/tools.txt $(REQ)/e2e.txt \
	$(REQ)/integration.txt
VENV_CONSTRAINTS := $(REQ)/constraints.txt
VENV_STAMP := $(call venv_stamp,$(VENV),$(REQ)/pip.txt $(VENV_REQUIREMENTS) $(VENV_CONSTRAINTS),$(BASE_PYTHON))

# ansible-core $(OLD_CORE) with what sanity and units need: build/venv-<python>-core2.18.
COMPAT_VENV := $(BUILD)/venv-$(COMPAT_VERSION)-core$(OLD_CORE)
COMPAT_VENV_BIN := $(COMPAT_VENV)/bin
COMPAT_REQUIREMENTS := $(REQ)/ansible-$(OLD_CORE).txt $(REQ)/sanity.txt $(REQ)/units.txt $(REQ)/integration.txt
COMPAT_CONSTRAINTS := $(REQ)/constraints-core$(OLD_CORE).txt
COMPAT_VENV_STAMP := $(call venv_stamp,$(COMPAT_VENV),$(REQ)/pip.txt $(COMPAT_REQUIREMENTS) $(COMPAT_CONSTRAINTS),$(COMPAT_PYTHON))

SANITY_PYTHONS ?= auto

# Gates run by `make test` (and so by CI), in this order. Add new gates here.
TEST_TARGETS := units units-compat sanity sanity-compat lint docs changelog artifact galaxy-import ee integration \
	integration-compat e2e
# The gates that need ansible-core $(NEW_CORE) (BASE_PYTHON), and those that need $(OLD_CORE) (COMPAT_PYTHON).
NEW_CORE_GATES := units sanity lint docs changelog artifact galaxy-import ee integration e2e
OLD_CORE_GATES := units-compat sanity-compat integration-compat

.PHONY: help venv venv-compat collection check-no-sanity-ignores test pytest demo bench dist install \
	changelog-release lock clean $(TEST_TARGETS)

help:
	@echo 'Gates (make test runs them all, in this order, and prints a summary):'
	@echo '  units          ansible-test units, ansible-core $(NEW_CORE) (Python $(or $(BASE_VERSION),?))'
	@echo '  units-compat   ansible-test units, ansible-core $(OLD_CORE) (Python $(or $(COMPAT_VERSION),?))'
	@echo '  sanity         ansible-test sanity, ansible-core $(NEW_CORE): all tests, then compile/import on every'
	@echo '                 Python the modules claim (tests/config.yml) that this machine has'
	@echo '  sanity-compat  the same with ansible-core $(OLD_CORE)'
	@echo '  lint           ansible-lint --profile production on the whole collection and the README playbooks'
	@echo '  docs           antsibull-docs lint-collection-docs --plugin-docs; the module reference built into build/docs'
	@echo '  changelog      antsibull-changelog lint; CHANGELOG.md and changelog.yaml up to date with the fragments'
	@echo '  artifact       build the artifact, check its content, install it, run docs/examples/manage_users.yml'
	@echo '                 from the installed copy against the emulator (twice: the second run changes nothing)'
	@echo '  galaxy-import  galaxy-importer on the artifact (offline); any warning or error fails'
	@echo '  ee             ansible-builder introspect on the installed artifact, ansible-builder create into build/ee-context'
	@echo '  integration    ansible-test integration (tests/integration/targets) against the emulator, ansible-core $(NEW_CORE)'
	@echo '  integration-compat  the same with ansible-core $(OLD_CORE), but the emulator-only targets'
	@echo '  e2e            the emulator tests, then ansible-playbook and ansible-runner runs against it that YAML'
	@echo '                 cannot say well: concurrency, whole-output secret scans, AWX'
	@echo 'Other targets:'
	@echo '  test               every gate: $(TEST_TARGETS)'
	@echo '  pytest             the unit tests with plain pytest (fast iteration; PYTEST_ARGS=...)'
	@echo '  demo               the example playbook against the local emulator, step by step'
	@echo '  bench              speed and memory figures against the emulator (printed, never asserted)'
	@echo '  dist               build the collection artifact into build/dist'
	@echo '  install            install the artifact into build/installed (offline)'
	@echo '  changelog-release  fold changelogs/fragments into changelog.yaml and CHANGELOG.md (version of galaxy.yml)'
	@echo '  venv, venv-compat  create the virtualenvs (build/venv-*)'
	@echo '  lock               regenerate tests/requirements/constraints*.txt'
	@echo '  clean              remove build/ and test output'
	@echo 'ansible-core $(NEW_CORE) and tools: Python $(or $(BASE_PYTHON),none found) ($(or $(BASE_VERSION),?))'
	@echo 'ansible-core $(OLD_CORE): Python $(or $(COMPAT_PYTHON),none found) ($(or $(COMPAT_VERSION),?))'

# ---------------------------------------------------------------------------
# Environments

define check_python
	@if [ -z '$(1)' ]; then echo 'make: $(2)' >&2; exit 1; fi
endef

# $(1): virtualenv directory, $(2): interpreter, $(3): pip arguments naming what to install.
define make_venv
	@echo '--> creating $(1) with $(2)'
	rm -rf '$(1)'
	'$(2)' -m venv '$(1)'
	'$(1)/bin/python' -m pip install --quiet --disable-pip-version-check -r '$(REQ)/pip.txt'
	'$(1)/bin/python' -m pip install --quiet --disable-pip-version-check $(3)
	touch '$@'
endef

$(VENV_STAMP):
	$(call check_python,$(BASE_PYTHON),$(NO_BASE_PYTHON))
	$(call make_venv,$(VENV),$(BASE_PYTHON),-c '$(VENV_CONSTRAINTS)' $(foreach f,$(VENV_REQUIREMENTS),-r '$(f)'))

$(COMPAT_VENV_STAMP):
	$(call check_python,$(COMPAT_PYTHON),$(NO_COMPAT_PYTHON))
	$(call make_venv,$(COMPAT_VENV),$(COMPAT_PYTHON),-c '$(COMPAT_CONSTRAINTS)' $(foreach f,$(COMPAT_REQUIREMENTS),-r '$(f)'))

venv: $(VENV_STAMP)

venv-compat: $(COMPAT_VENV_STAMP)

collection:
	'$(HELPER_PYTHON)' '$(TOOLS)/sync_collection.py' '$(ROOT)' '$(COLLECTION)'

check-no-sanity-ignores:
	@found="$$(cd '$(ROOT)' && ls tests/sanity/ignore-*.txt tests/sanity/skip-*.txt 2>/dev/null || true)"; \
	if [ -n "$$found" ]; then \
		echo "Sanity ignore/skip files are not allowed here, fix the findings instead: $$found" >&2; exit 1; \
	fi

# ---------------------------------------------------------------------------
# Gates. Each one starts by clearing its report in build/gate-status (see tools/run_gates.sh);
# a gate whose interpreter is missing reports itself skipped, with the reason, and exits 0.

define gate_begin
	@mkdir -p '$(STATUS)' && rm -f '$(STATUS)/$@'.*
endef

define skip_gate
	@mkdir -p '$(STATUS)' && echo '$(2)' > '$(STATUS)/$(1).skipped'
	@echo 'SKIPPED make $(1): $(2)' >&2
endef

# Run from inside the copy: ansible-test needs .../ansible_collections/<namespace>/<name>.
# $(1): virtualenv bin directory, $(2): its Python X.Y, $(3): ansible-core line.
define run_sanity
	'$(1)/python' '$(TOOLS)/prepare_ansible_test.py' --offline
	GATE_NOTES='$(STATUS)/$@.notes' '$(TOOLS)/run_sanity.sh' '$(1)' '$(COLLECTION)' '$(2)' \
		'$(BUILD)/pybin-core$(3)' '$(SANITY_PYTHONS)' $(SANITY_ARGS)
endef

ifneq ($(BASE_PYTHON),)

units: venv collection
	$(gate_begin)
	'$(TOOLS)/run_units.sh' '$(VENV_BIN)' '$(COLLECTION)' '$(BASE_VERSION)' $(UNITS_ARGS)

sanity: check-no-sanity-ignores venv collection
	$(gate_begin)
	$(call run_sanity,$(VENV_BIN),$(BASE_VERSION),$(NEW_CORE))

# The whole collection as ansible-lint discovers it (playbooks, modules' EXAMPLES, galaxy.yml, meta/,
# changelogs/; .ansible-lint says what is left out and why), then the playbooks shown in README.md and
# docs/*.md, extracted to build/doc-playbooks.
LINT = ANSIBLE_COLLECTIONS_PATH='$(BUILD)' PATH='$(VENV_BIN):'"$$PATH" '$(VENV_BIN)/ansible-lint' --offline --nocolor \
	--profile production

lint: venv collection
	$(gate_begin)
	@echo '==> ansible-lint on the whole collection'
	cd '$(COLLECTION)' && $(LINT)
	@echo '==> ansible-lint on the playbooks of README.md and docs/*.md, and on the EXAMPLES of the modules'
	cd '$(COLLECTION)' && \
	playbooks="$$('$(VENV_BIN)/python' '$(TOOLS)/extract_doc_playbooks.py' --extracted-only . '$(BUILD)/doc-playbooks')" && \
	if [ -n "$$playbooks" ]; then echo $$playbooks; $(LINT) $$playbooks; else echo 'no playbook in the Markdown files, no EXAMPLES'; fi

# Plugin docs (schema, markup, references to options and plugins) and extra docs, as the docsite
# builds them; then the module reference rendered to RST and HTML and checked against ansible-doc
# (tools/build_docs.py, into build/docs).
docs: venv collection
	$(gate_begin)
	cd '$(COLLECTION)' && ANSIBLE_COLLECTIONS_PATH='$(BUILD)' PATH='$(VENV_BIN):'"$$PATH" \
		'$(VENV_BIN)/antsibull-docs' lint-collection-docs --plugin-docs --check-extra-docs-refs \
		--validate-collection-refs all --disallow-unknown-collection-refs .
	@echo '==> antsibull-docs lint-collection-docs --plugin-docs: no finding'
	'$(VENV_BIN)/python' '$(TOOLS)/build_docs.py' --collections-path '$(BUILD)' --dest '$(BUILD)/docs'

changelog: venv collection
	$(gate_begin)
	'$(TOOLS)/release_changelog.sh' check '$(VENV_BIN)' '$(COLLECTION)' '$(BUILD)/changelog'

# The artifact as users get it: content, offline install, and the example playbook run from the
# installed copy only (tools/run_example_from_artifact.py).
artifact: install collection
	$(gate_begin)
	'$(VENV_BIN)/python' '$(TOOLS)/check_artifact.py' '$(TARBALL)' '$(COLLECTION)'
	'$(VENV_BIN)/python' '$(TOOLS)/run_example_from_artifact.py' --collections-path '$(INSTALLED)' \
		--emulator '$(ROOT)/tests/emulator' --work '$(BUILD)/example' --ansible-bin '$(VENV_BIN)'

# What Ansible Galaxy and Automation Hub check when the artifact is uploaded (content, docs, ansible-lint).
galaxy-import: dist
	$(gate_begin)
	'$(TOOLS)/check_galaxy_import.sh' '$(VENV_BIN)' '$(TARBALL)' '$(BUILD)/galaxy-import' '$(TOOLS)/galaxy-importer.cfg'

ee: install
	$(gate_begin)
	'$(VENV_BIN)/python' '$(TOOLS)/check_execution_environment.py' --ansible-bin '$(VENV_BIN)' --source '$(ROOT)' --tarball '$(TARBALL)' \
		--collections-path '$(INSTALLED)' --work '$(BUILD)/ee' --context '$(BUILD)/ee-context'

# ansible-test integration against the emulator (tools/run_integration.py starts it and writes
# tests/integration/integration_config.yml); INTEGRATION_ARGS='database_user' runs one target.
integration: venv collection
	$(gate_begin)
	'$(VENV_BIN)/python' '$(TOOLS)/run_integration.py' --collection '$(COLLECTION)' --ansible-bin '$(VENV_BIN)' \
		--python '$(BASE_VERSION)' --emulator-python '$(VENV_BIN)/python' $(INTEGRATION_ARGS)

# The emulator's own tests, the end-to-end tests, and the AWX-style runs (ansible-runner) when present.
E2E_TESTS = tests/emulator tests/e2e $(if $(wildcard $(ROOT)/tests/awx),tests/awx)

e2e: venv collection
	$(gate_begin)
	$(RUN_IN_COLLECTION) '$(VENV_BIN)/python' -m pytest -p no:cacheprovider -n 2 $(PYTEST_ARGS) $(E2E_TESTS)

else

$(NEW_CORE_GATES):
	$(call skip_gate,$@,$(NO_BASE_PYTHON))

endif

ifneq ($(COMPAT_PYTHON),)

units-compat: venv-compat collection
	$(gate_begin)
	'$(TOOLS)/run_units.sh' '$(COMPAT_VENV_BIN)' '$(COLLECTION)' '$(COMPAT_VERSION)' $(UNITS_ARGS)

sanity-compat: check-no-sanity-ignores venv-compat collection
	$(gate_begin)
	$(call run_sanity,$(COMPAT_VENV_BIN),$(COMPAT_VERSION),$(OLD_CORE))

# The targets on the oldest ansible-core, but those that only test the modules' own code against the emulator's
# faults (alias scalingo/emulator): that code does not depend on ansible-core. The emulator runs in the main venv.
integration-compat: venv venv-compat collection
	$(gate_begin)
	'$(VENV_BIN)/python' '$(TOOLS)/run_integration.py' --collection '$(COLLECTION)' --ansible-bin '$(COMPAT_VENV_BIN)' \
		--python '$(COMPAT_VERSION)' --emulator-python '$(VENV_BIN)/python' --exclude scalingo/emulator/ $(INTEGRATION_ARGS)

else

$(OLD_CORE_GATES):
	$(call skip_gate,$@,$(NO_COMPAT_PYTHON))

endif

# Every gate runs even when an earlier one failed; the exit status is non-zero if any failed.
test:
	@MAKE='$(MAKE)' '$(TOOLS)/run_gates.sh' '$(STATUS)' $(TEST_TARGETS)

# ---------------------------------------------------------------------------
# Development

# Ansible finds the collection through build/, and runs modules with the venv's Python.
RUN_IN_COLLECTION = cd '$(COLLECTION)' && PYTHONPATH='$(BUILD)' ANSIBLE_COLLECTIONS_PATH='$(BUILD)' \
	PATH='$(VENV_BIN):'"$$PATH"

# The unit tests with plain pytest, for fast iteration (the gates use ansible-test units).
# PYTHONPATH=build/ makes ansible_collections.scalingo.cloud... importable.
pytest: venv collection
	cd '$(COLLECTION)' && PYTHONPATH='$(BUILD)' '$(VENV_BIN)/python' -m pytest -p no:cacheprovider $(PYTEST_ARGS) tests/unit

demo: venv collection
	$(RUN_IN_COLLECTION) '$(VENV_BIN)/python' tests/demo/demo.py

# Figures, not a gate: timings are printed, never asserted (BENCH_ARGS='--quick' or '--users 50'; the ratios of
# whole playbook runs: RATIOS_ARGS='--quick' or '--rounds 9').
bench: venv collection
	$(RUN_IN_COLLECTION) '$(VENV_BIN)/python' tests/bench/bench.py $(BENCH_ARGS)
	$(RUN_IN_COLLECTION) '$(VENV_BIN)/python' tests/bench/ratios.py $(RATIOS_ARGS)

# ---------------------------------------------------------------------------
# Packaging and maintenance

# Built from the work tree, as a maintainer would: build_ignore in galaxy.yml keeps the rest out
# (the artifact gate checks that it does).
dist: venv
	rm -rf '$(BUILD)/dist' && mkdir -p '$(BUILD)/dist'
	cd '$(ROOT)' && '$(VENV_BIN)/ansible-galaxy' collection build --output-path '$(BUILD)/dist'

install: dist
	rm -rf '$(INSTALLED)' && mkdir -p '$(INSTALLED)'
	cd '$(BUILD)' && ANSIBLE_COLLECTIONS_PATH='$(INSTALLED)' '$(VENV_BIN)/ansible-galaxy' collection install --offline '$(TARBALL)' -p '$(INSTALLED)'

changelog-release: venv collection
	'$(TOOLS)/release_changelog.sh' write '$(VENV_BIN)' '$(COLLECTION)' '$(BUILD)/changelog' '$(ROOT)'

lock:
	$(call check_python,$(BASE_PYTHON),$(NO_BASE_PYTHON))
	$(call check_python,$(COMPAT_PYTHON),$(NO_COMPAT_PYTHON))
	'$(BASE_PYTHON)' '$(TOOLS)/lock_requirements.py' --output '$(VENV_CONSTRAINTS)' $(VENV_REQUIREMENTS)
	'$(COMPAT_PYTHON)' '$(TOOLS)/lock_requirements.py' --output '$(COMPAT_CONSTRAINTS)' $(COMPAT_REQUIREMENTS)

clean:
	rm -rf '$(BUILD)' '$(ROOT)/tests/output' '$(ROOT)/.pytest_cache' '$(ROOT)/.hypothesis'
