# Build and test entry points for the scalingo.cloud Ansible collection: thin targets, each one calling a
# script of tools/ named for what it does.
#
#   make demo      the example playbook against the local emulator (installs only what it needs)
#   make emulator  the local emulator alone, for playbooks of your own: it prints what to export (Ctrl-C stops it)
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
#   INTEGRATION_ARGS='database_user'  extra ansible-test integration arguments (a target, --exclude ...)
#   PYTEST_ARGS='-k user -x'          extra pytest arguments (make pytest, make e2e)
#   EMULATOR_ARGS='--verbose'         extra arguments of the emulator's command line (make emulator)
#   REQUIRE_ALL_GATES=1               make test fails when a gate is skipped (default: 1 when CI=true)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.SUFFIXES:
MAKEFLAGS += --no-builtin-rules --no-print-directory

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD := $(ROOT)/build
TOOLS := $(ROOT)/tools
REQ := $(ROOT)/tests/requirements
STATUS := $(BUILD)/gate-status
# The copy ansible-test needs (.../ansible_collections/<namespace>/<name>), kept by tools/sync_collection.py.
COLLECTION := $(BUILD)/ansible_collections/scalingo/cloud
INSTALLED := $(BUILD)/installed
TARBALL = $(BUILD)/dist/scalingo-cloud-$(shell sed -n 's/^version: *//p' '$(ROOT)/galaxy.yml').tar.gz

# The newest and the oldest ansible-core lines the collection supports (meta/runtime.yml says >=2.18).
NEW_CORE := 2.21
OLD_CORE := 2.18

# Interpreters: "<X.Y> <path>" from tools/find_python.sh (the one given, else the one remembered in build/,
# else the newest on PATH or in pyenv). ansible-core 2.20+ runs on Python 3.12..3.14; 2.18 on 3.11..3.13.
pick_python = $(shell MIN_MINOR=$(2) MAX_MINOR=$(3) '$(TOOLS)/find_python.sh' --pick '$(BUILD)/.$(1)' \
	$(if $(filter undefined,$(origin $(1))),,'$($(1))') 2>/dev/null)
BASE := $(call pick_python,BASE_PYTHON,12,14)
COMPAT := $(call pick_python,COMPAT_PYTHON,11,13)
BASE_VERSION := $(word 1,$(BASE))
COMPAT_VERSION := $(word 1,$(COMPAT))
BASE_PY := $(word 2,$(BASE))
COMPAT_PY := $(word 2,$(COMPAT))
NO_BASE := no Python 3.12..3.14 on PATH or in pyenv, and ansible-core $(NEW_CORE) and the tools need one \
	(install one, or set BASE_PYTHON=/path/to/python3.X)
NO_COMPAT := no Python 3.11..3.13 on PATH or in pyenv, and ansible-core $(OLD_CORE) needs one \
	(install one, or set COMPAT_PYTHON=/path/to/python3.X)
# Any python3 is good enough for the scripts that do not need ansible.
HELPER_PY := $(or $(BASE_PY),$(COMPAT_PY),python3)

# Virtualenvs, from pinned requirements (tools/make_venv.sh rebuilds one when its requirements change).
VENV_BIN := $(BUILD)/venv-$(BASE_VERSION)/bin
COMPAT_VENV_BIN := $(BUILD)/venv-$(COMPAT_VERSION)-core$(OLD_CORE)/bin
DEMO_VENV_BIN := $(BUILD)/venv-$(BASE_VERSION)-demo/bin
VENV_REQUIREMENTS := ansible sanity units tools e2e integration
COMPAT_REQUIREMENTS := ansible-$(OLD_CORE) sanity units integration
LOCK := $(REQ)/constraints.txt
COMPAT_LOCK := $(REQ)/constraints-core$(OLD_CORE).txt
make_venv = '$(TOOLS)/make_venv.sh' '$(1:/bin=)' '$(2)' '$(REQ)/pip.txt' '$(3)' $(patsubst %,'$(REQ)/%.txt',$(4))

# The gates of `make test`, run by tools/run_gates.sh in this order; those of BACKGROUND_GATES run one after the
# other alongside the others, each in a copy of the collection of its own: they mostly wait for the emulator.
TEST_TARGETS := units units-compat sanity sanity-compat lint docs changelog artifact galaxy-import ee e2e \
	integration integration-compat
BACKGROUND_GATES := integration integration-compat e2e
NEW_CORE_GATES := units sanity lint docs changelog artifact galaxy-import ee e2e integration
OLD_CORE_GATES := units-compat sanity-compat integration-compat

.PHONY: help venv venv-compat venv-demo collection test pytest demo emulator bench dist install changelog-release lock \
	clean $(TEST_TARGETS)

help:
	@echo 'make demo           the example playbook against the local emulator, step by step'
	@echo 'make emulator       the local emulator alone, with a real PostgreSQL, until Ctrl-C; it prints what to export'
	@echo 'make test           every gate below, with a summary; exit status 1 if one fails'
	@echo 'Gates (ansible-core $(NEW_CORE) on Python $(or $(BASE_VERSION),?), $(OLD_CORE) on Python $(or $(COMPAT_VERSION),?)):'
	@echo '  units, units-compat              ansible-test units'
	@echo '  sanity, sanity-compat            ansible-test sanity, then compile/import on every Python the modules claim'
	@echo '  lint                             ansible-lint --profile production, collection and documented playbooks'
	@echo '  docs                             antsibull-docs lint-collection-docs; the module reference into build/docs'
	@echo '  changelog                        antsibull-changelog lint; CHANGELOG.md up to date with the fragments'
	@echo '  artifact                         build, check and install the artifact; run the example from it, twice'
	@echo '  galaxy-import                    galaxy-importer on the artifact (offline); any warning fails'
	@echo '  ee                               ansible-builder introspect and create on the installed artifact'
	@echo '  e2e                              the emulator tests; concurrency, secret scans and AWX runs (pytest)'
	@echo '  integration, integration-compat  ansible-test integration against the emulator (compat: no emulator-only targets)'
	@echo 'Other targets: pytest (unit tests, PYTEST_ARGS=...), bench, dist, install, changelog-release, venv,'
	@echo '  venv-compat, venv-demo, lock, clean'

# ---------------------------------------------------------------------------
# Environments

venv:
	@'$(TOOLS)/need.sh' '$(BASE_PY)' '$(NO_BASE)'
	@$(call make_venv,$(VENV_BIN),$(BASE_PY),$(LOCK),$(VENV_REQUIREMENTS))

venv-compat:
	@'$(TOOLS)/need.sh' '$(COMPAT_PY)' '$(NO_COMPAT)'
	@$(call make_venv,$(COMPAT_VENV_BIN),$(COMPAT_PY),$(COMPAT_LOCK),$(COMPAT_REQUIREMENTS))

venv-demo:
	@'$(TOOLS)/need.sh' '$(BASE_PY)' '$(NO_BASE)'
	@$(call make_venv,$(DEMO_VENV_BIN),$(BASE_PY),$(LOCK),ansible demo)

collection:
	@'$(HELPER_PY)' '$(TOOLS)/sync_collection.py' '$(ROOT)' '$(COLLECTION)'

# ---------------------------------------------------------------------------
# Gates. A gate whose interpreter is missing reports itself skipped, with the reason (run_gates.sh --skip).

ifneq ($(BASE_PY),)

units: venv collection
	'$(TOOLS)/run_units.sh' '$(VENV_BIN)' '$(COLLECTION)' '$(BASE_VERSION)' $(UNITS_ARGS)

sanity: venv collection
	'$(TOOLS)/check_no_sanity_ignores.sh' '$(ROOT)'
	'$(TOOLS)/run_sanity.sh' '$(VENV_BIN)' '$(COLLECTION)' '$(BASE_VERSION)' '$(BUILD)/pybin-core$(NEW_CORE)' \
		'$(or $(SANITY_PYTHONS),auto)' $(SANITY_ARGS)

lint: venv collection
	'$(TOOLS)/run_lint.sh' '$(VENV_BIN)' '$(COLLECTION)' '$(BUILD)/doc-playbooks'

docs: venv collection
	'$(TOOLS)/check_docs.sh' '$(VENV_BIN)' '$(COLLECTION)' '$(BUILD)/docs'

changelog: venv collection
	'$(TOOLS)/release_changelog.sh' check '$(VENV_BIN)' '$(COLLECTION)' '$(BUILD)/changelog'

artifact: install collection
	'$(VENV_BIN)/python' '$(TOOLS)/check_artifact.py' '$(TARBALL)' '$(COLLECTION)'
	'$(VENV_BIN)/python' '$(TOOLS)/run_example_from_artifact.py' --collections-path '$(INSTALLED)' \
		--emulator '$(ROOT)/tests/emulator' --work '$(BUILD)/example' --ansible-bin '$(VENV_BIN)'

galaxy-import: dist
	'$(TOOLS)/check_galaxy_import.sh' '$(VENV_BIN)' '$(TARBALL)' '$(BUILD)/galaxy-import' '$(TOOLS)/galaxy-importer.cfg'

ee: install
	'$(VENV_BIN)/python' '$(TOOLS)/check_execution_environment.py' --ansible-bin '$(VENV_BIN)' --source '$(ROOT)' \
		--tarball '$(TARBALL)' --collections-path '$(INSTALLED)' --work '$(BUILD)/ee' --context '$(BUILD)/ee-context'

# From a copy of the collection of its own: it runs alongside the gates that use the shared one.
e2e: venv
	'$(HELPER_PY)' '$(TOOLS)/sync_collection.py' '$(ROOT)' '$(BUILD)/e2e/ansible_collections/scalingo/cloud'
	'$(TOOLS)/run_in_collection.sh' '$(VENV_BIN)' '$(BUILD)/e2e/ansible_collections/scalingo/cloud' \
		python -m pytest -p no:cacheprovider -n 2 $(PYTEST_ARGS) tests/emulator tests/e2e tests/awx

integration: venv
	'$(VENV_BIN)/python' '$(TOOLS)/run_integration.py' --source '$(ROOT)' --copy '$(BUILD)/integration-$(NEW_CORE)' \
		--ansible-bin '$(VENV_BIN)' --python '$(BASE_VERSION)' --emulator-python '$(VENV_BIN)/python' $(INTEGRATION_ARGS)

else

$(NEW_CORE_GATES):
	@'$(TOOLS)/run_gates.sh' --skip '$(STATUS)' $@ '$(NO_BASE)'

endif

ifneq ($(COMPAT_PY),)

units-compat: venv-compat collection
	'$(TOOLS)/run_units.sh' '$(COMPAT_VENV_BIN)' '$(COLLECTION)' '$(COMPAT_VERSION)' $(UNITS_ARGS)

sanity-compat: venv-compat collection
	'$(TOOLS)/check_no_sanity_ignores.sh' '$(ROOT)'
	'$(TOOLS)/run_sanity.sh' '$(COMPAT_VENV_BIN)' '$(COLLECTION)' '$(COMPAT_VERSION)' '$(BUILD)/pybin-core$(OLD_CORE)' \
		'$(or $(SANITY_PYTHONS),auto)' $(SANITY_ARGS)

# Without the emulator-only targets (alias scalingo/emulator): they test the modules' own code against faults,
# which does not depend on ansible-core. The emulator runs in the main virtualenv.
integration-compat: venv venv-compat
	'$(VENV_BIN)/python' '$(TOOLS)/run_integration.py' --source '$(ROOT)' --copy '$(BUILD)/integration-$(OLD_CORE)' \
		--ansible-bin '$(COMPAT_VENV_BIN)' --python '$(COMPAT_VERSION)' --emulator-python '$(VENV_BIN)/python' \
		--exclude scalingo/emulator/ $(INTEGRATION_ARGS)

else

$(OLD_CORE_GATES):
	@'$(TOOLS)/run_gates.sh' --skip '$(STATUS)' $@ '$(NO_COMPAT)'

endif

# The virtualenvs first (the gates share them), then every gate even when an earlier one failed.
test:
	-@$(MAKE) $(if $(BASE_PY),venv) $(if $(COMPAT_PY),venv-compat)
	@MAKE='$(MAKE)' '$(TOOLS)/run_gates.sh' '$(STATUS)' --background '$(BACKGROUND_GATES)' $(TEST_TARGETS)

# ---------------------------------------------------------------------------
# Development

pytest: venv collection
	'$(TOOLS)/run_in_collection.sh' '$(VENV_BIN)' '$(COLLECTION)' python -m pytest -p no:cacheprovider \
		$(PYTEST_ARGS) tests/unit

demo: venv-demo collection
	'$(TOOLS)/run_in_collection.sh' '$(DEMO_VENV_BIN)' '$(COLLECTION)' python tests/demo/demo.py

# In the foreground until Ctrl-C, never with in-memory PostgreSQL users (--pg embedded). EMULATOR_ARGS='--verbose'.
emulator: venv-demo collection
	'$(TOOLS)/run_in_collection.sh' '$(DEMO_VENV_BIN)' '$(COLLECTION)' python tests/emulator/scalingo_emulator \
		--pg embedded --print-env $(EMULATOR_ARGS)

# Figures, never asserted: BENCH_ARGS='--quick' or '--users 50'; RATIOS_ARGS='--quick' or '--rounds 9';
# SCALE_ARGS='--quick' or '--users 1000 5000'; INVENTORY_ARGS='--quick' or '--apps 1 50'.
bench: venv collection
	'$(TOOLS)/run_in_collection.sh' '$(VENV_BIN)' '$(COLLECTION)' python tests/bench/bench.py $(BENCH_ARGS)
	'$(TOOLS)/run_in_collection.sh' '$(VENV_BIN)' '$(COLLECTION)' python tests/bench/ratios.py $(RATIOS_ARGS)
	'$(TOOLS)/run_in_collection.sh' '$(VENV_BIN)' '$(COLLECTION)' python tests/bench/scale.py $(SCALE_ARGS)
	'$(TOOLS)/run_in_collection.sh' '$(VENV_BIN)' '$(COLLECTION)' python tests/bench/first_run.py
	'$(TOOLS)/run_in_collection.sh' '$(VENV_BIN)' '$(COLLECTION)' python tests/bench/inventory.py $(INVENTORY_ARGS)

# ---------------------------------------------------------------------------
# Packaging and maintenance

dist: venv
	'$(TOOLS)/build_artifact.sh' '$(VENV_BIN)' '$(ROOT)' '$(BUILD)/dist'

install: dist
	'$(TOOLS)/install_artifact.sh' '$(VENV_BIN)' '$(TARBALL)' '$(INSTALLED)'

changelog-release: venv collection
	'$(TOOLS)/release_changelog.sh' write '$(VENV_BIN)' '$(COLLECTION)' '$(BUILD)/changelog' '$(ROOT)'

lock:
	@'$(TOOLS)/need.sh' '$(BASE_PY)' '$(NO_BASE)'
	@'$(TOOLS)/need.sh' '$(COMPAT_PY)' '$(NO_COMPAT)'
	'$(BASE_PY)' '$(TOOLS)/lock_requirements.py' --output '$(LOCK)' $(patsubst %,'$(REQ)/%.txt',$(VENV_REQUIREMENTS) demo)
	'$(COMPAT_PY)' '$(TOOLS)/lock_requirements.py' --output '$(COMPAT_LOCK)' $(patsubst %,'$(REQ)/%.txt',$(COMPAT_REQUIREMENTS))

clean:
	rm -rf '$(BUILD)' '$(ROOT)/tests/output' '$(ROOT)/.pytest_cache' '$(ROOT)/.hypothesis'
