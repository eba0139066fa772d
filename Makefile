# Build and test entry points for the scalingo.cloud Ansible collection.
#
#   make test      every gate (what CI runs through .ci/run)
#   make help      the list of targets
#
# Variables that can be set on the command line:
#   BASE_PYTHON=/path/to/python3.X   interpreter for the virtualenvs (default: newest 3.12..3.14 found)
#   SANITY_ARGS='--test pylint'       extra ansible-test sanity arguments
#   SANITY_PYTHONS=auto               other Pythons for the compile/import tests (auto, none, "3.9 3.11")
#   PYTEST_ARGS='-k user -x'          extra pytest arguments

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.SUFFIXES:
MAKEFLAGS += --no-builtin-rules

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD := $(ROOT)/build
COLLECTION := $(BUILD)/ansible_collections/scalingo/cloud
TOOLS := $(ROOT)/tests/tools
REQ := $(ROOT)/tests/requirements
COLLECTION_VERSION := $(shell sed -n 's/^version: *//p' '$(ROOT)/galaxy.yml' 2>/dev/null)

# ---------------------------------------------------------------------------
# Base interpreter: found once by tests/tools/find_python.sh and remembered in
# build/.base-python ("<major.minor> <path>"); `make clean` forgets it.
BASE_PYTHON_CACHE := $(BUILD)/.base-python

ifeq ($(origin BASE_PYTHON),undefined)
  _cached := $(shell cat '$(BASE_PYTHON_CACHE)' 2>/dev/null)
  ifneq ($(and $(word 2,$(_cached)),$(wildcard $(word 2,$(_cached)))),)
    PY_VERSION := $(word 1,$(_cached))
    BASE_PYTHON := $(word 2,$(_cached))
  else
    BASE_PYTHON := $(shell '$(TOOLS)/find_python.sh' 2>/dev/null)
  endif
endif

ifneq ($(BASE_PYTHON),)
  ifeq ($(PY_VERSION),)
    PY_VERSION := $(shell '$(BASE_PYTHON)' -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    ifeq ($(origin BASE_PYTHON),file)
      $(shell mkdir -p '$(BUILD)' && echo '$(PY_VERSION) $(BASE_PYTHON)' > '$(BASE_PYTHON_CACHE)')
    endif
  endif
endif

# Any python3 is good enough for the small helper scripts that do not need ansible.
HELPER_PYTHON := $(or $(BASE_PYTHON),python3)

# ---------------------------------------------------------------------------
# Virtualenvs. The stamp file name carries a hash of the requirement files and
# of the base interpreter, so a change to either rebuilds the virtualenv.
define venv_stamp
$(1)/.installed-$(shell (cat $(wildcard $(2)) /dev/null; echo '$(BASE_PYTHON)') | sha256sum | cut -c1-16)
endef

VENV := $(BUILD)/venv-$(PY_VERSION)
VENV_BIN := $(VENV)/bin
VENV_REQUIREMENTS := $(REQ)/ansible.txt $(REQ)/sanity.txt $(REQ)/units.txt $(REQ)/tools.txt $(REQ)/e2e.txt
VENV_CONSTRAINTS := $(REQ)/constraints.txt
VENV_STAMP := $(call venv_stamp,$(VENV),$(REQ)/pip.txt $(VENV_REQUIREMENTS) $(VENV_CONSTRAINTS))

# Oldest supported ansible-core line (meta/runtime.yml), for the *-compat targets.
COMPAT_CORE := 2.18
COMPAT_VENV := $(BUILD)/venv-$(PY_VERSION)-core$(COMPAT_CORE)
COMPAT_VENV_BIN := $(COMPAT_VENV)/bin
COMPAT_REQUIREMENTS := $(REQ)/ansible-$(COMPAT_CORE).txt $(REQ)/sanity.txt $(REQ)/units.txt
COMPAT_VENV_STAMP := $(call venv_stamp,$(COMPAT_VENV),$(REQ)/pip.txt $(COMPAT_REQUIREMENTS))

SANITY_PYTHONS ?= auto

# Gates run by `make test` (and so by CI). Add new gates here.
TEST_TARGETS := units sanity lint e2e

.PHONY: help venv venv-compat collection ansible-test-prep check-no-sanity-ignores \
	sanity units lint test e2e demo sanity-compat units-compat dist galaxy-import lock clean

help:
	@echo 'Targets:'
	@echo '  venv           create build/venv-<python> (ansible-core + test tools from tests/requirements)'
	@echo '  collection     refresh the copy in build/ansible_collections/scalingo/cloud'
	@echo '  units          run the unit tests (pytest tests/unit) from the copy'
	@echo '  sanity         run ansible-test sanity (all tests) from the copy'
	@echo '  lint           ansible-lint --profile production on the playbooks of README.md and docs/'
	@echo '  test           run every gate: $(TEST_TARGETS)'
	@echo '  e2e            the emulator tests, then real ansible-playbook runs against it (real PostgreSQL)'
	@echo '  demo           the example playbook against the local emulator, step by step'
	@echo '  units-compat   unit tests with ansible-core $(COMPAT_CORE)'
	@echo '  sanity-compat  ansible-test sanity with ansible-core $(COMPAT_CORE)'
	@echo '  dist           build the collection artifact into build/dist'
	@echo '  galaxy-import  run galaxy-importer (Galaxy upload checks, ansible-lint) on the artifact'
	@echo '  lock           regenerate tests/requirements/constraints.txt'
	@echo '  clean          remove build/ and test output'
	@echo 'Python for the virtualenvs: $(or $(BASE_PYTHON),none found) ($(or $(PY_VERSION),?))'

# ---------------------------------------------------------------------------
# Environments

define check_base_python
	@if [ -z '$(BASE_PYTHON)' ]; then \
		echo 'No Python 3.12..3.14 found (PATH, pyenv); set BASE_PYTHON=/path/to/python3.X' >&2; exit 1; \
	fi
endef

# $(1): virtualenv directory, $(2): pip arguments naming what to install.
define make_venv
	$(check_base_python)
	@echo '--> creating $(1) with $(BASE_PYTHON)'
	rm -rf '$(1)'
	'$(BASE_PYTHON)' -m venv '$(1)'
	'$(1)/bin/python' -m pip install --quiet --disable-pip-version-check -r '$(REQ)/pip.txt'
	'$(1)/bin/python' -m pip install --quiet --disable-pip-version-check $(2)
	touch '$@'
endef

$(VENV_STAMP):
	$(call make_venv,$(VENV),$(if $(wildcard $(VENV_CONSTRAINTS)),-c '$(VENV_CONSTRAINTS)') $(foreach f,$(VENV_REQUIREMENTS),-r '$(f)'))

$(COMPAT_VENV_STAMP):
	$(call make_venv,$(COMPAT_VENV),$(foreach f,$(COMPAT_REQUIREMENTS),-r '$(f)'))

venv: $(VENV_STAMP)

venv-compat: $(COMPAT_VENV_STAMP)

collection:
	'$(HELPER_PYTHON)' '$(TOOLS)/sync_collection.py' '$(ROOT)' '$(COLLECTION)'

# Make sure ansible-test can bootstrap pip in its own virtualenvs (offline fallback).
ansible-test-prep: venv
	'$(VENV_BIN)/python' '$(TOOLS)/prepare_ansible_test.py'

check-no-sanity-ignores:
	@found="$$(cd '$(ROOT)' && ls tests/sanity/ignore-*.txt tests/sanity/skip-*.txt 2>/dev/null || true)"; \
	if [ -n "$$found" ]; then \
		echo "Sanity ignore/skip files are not allowed here, fix the findings instead: $$found" >&2; exit 1; \
	fi

# ---------------------------------------------------------------------------
# Gates

# Run from inside the copy: ansible-test needs .../ansible_collections/<namespace>/<name>.
# All tests on the controller Python, then compile/import on the other Pythons found
# (SANITY_PYTHONS: auto, none, or a list such as "3.9 3.12").
define run_sanity
	'$(TOOLS)/run_sanity.sh' '$(1)' '$(COLLECTION)' '$(PY_VERSION)' '$(BUILD)/pybin' '$(SANITY_PYTHONS)' $(SANITY_ARGS)
endef

# PYTHONPATH=build/ makes ansible_collections.scalingo.cloud... importable.
define run_units
	@if [ ! -d '$(COLLECTION)/tests/unit' ]; then echo 'No tests/unit directory' >&2; exit 1; fi
	cd '$(COLLECTION)' && PYTHONPATH='$(BUILD)' '$(1)/python' -m pytest -p no:cacheprovider $(PYTEST_ARGS) tests/unit
endef

sanity: check-no-sanity-ignores venv collection ansible-test-prep
	$(call run_sanity,$(VENV_BIN))

units: venv collection
	$(call run_units,$(VENV_BIN))

# The playbooks users copy from the README and docs/ must pass the strictest profile.
lint: venv collection
	cd '$(COLLECTION)' && playbooks="$$('$(VENV_BIN)/python' '$(TOOLS)/doc_playbooks.py' . tests/output/doc-playbooks)" && \
	echo "ansible-lint on:" $$playbooks && \
	ANSIBLE_COLLECTIONS_PATH='$(BUILD)' PATH='$(VENV_BIN):'"$$PATH" '$(VENV_BIN)/ansible-lint' --offline --nocolor \
		--profile production $$playbooks

# Every gate runs even when an earlier one fails; the exit status is non-zero if any failed.
test:
	@failed=''; \
	for gate in $(TEST_TARGETS); do \
		echo "==> make $$gate"; \
		$(MAKE) --no-print-directory "$$gate" || failed="$$failed $$gate"; \
	done; \
	if [ -n "$$failed" ]; then echo "==> FAILED gates:$$failed" >&2; exit 1; fi; \
	echo '==> all gates passed: $(TEST_TARGETS)'

# Ansible finds the collection through build/, and runs modules with the venv's Python.
RUN_IN_COLLECTION = cd '$(COLLECTION)' && PYTHONPATH='$(BUILD)' ANSIBLE_COLLECTIONS_PATH='$(BUILD)' \
	PATH='$(VENV_BIN):'"$$PATH"

e2e: venv collection
	$(RUN_IN_COLLECTION) '$(VENV_BIN)/python' -m pytest -p no:cacheprovider $(PYTEST_ARGS) tests/emulator tests/e2e

demo: venv collection
	$(RUN_IN_COLLECTION) '$(VENV_BIN)/python' tests/demo/demo.py

sanity-compat: check-no-sanity-ignores venv-compat collection
	'$(COMPAT_VENV_BIN)/python' '$(TOOLS)/prepare_ansible_test.py'
	$(call run_sanity,$(COMPAT_VENV_BIN))

units-compat: venv-compat collection
	$(call run_units,$(COMPAT_VENV_BIN))

# ---------------------------------------------------------------------------
# Packaging and maintenance

dist: venv collection
	mkdir -p '$(BUILD)/dist'
	cd '$(COLLECTION)' && '$(VENV_BIN)/ansible-galaxy' collection build --force --output-path '$(BUILD)/dist'

# What Ansible Galaxy checks when the artifact is uploaded (content, docs, ansible-lint).
galaxy-import: dist
	cd '$(BUILD)/dist' && PATH='$(VENV_BIN):'"$$PATH" '$(VENV_BIN)/python' -m galaxy_importer.main \
		'$(BUILD)/dist/scalingo-cloud-$(COLLECTION_VERSION).tar.gz'

lock:
	$(check_base_python)
	'$(BASE_PYTHON)' '$(TOOLS)/lock_requirements.py' --output '$(VENV_CONSTRAINTS)' $(VENV_REQUIREMENTS)

clean:
	rm -rf '$(BUILD)' '$(ROOT)/tests/output' '$(ROOT)/.pytest_cache' '$(ROOT)/.hypothesis'
