# Build and test entry points for the scalingo.cloud Ansible collection: thin targets, each one calling a
# script of tools/ named for what it does.
#
#   make demo      the example playbook against the local emulator (installs only what it needs)
#   make emulator  the local emulator alone, for playbooks of your own: it prints what to export (Ctrl-C stops it)
#   make test      every gate, with a summary (what CI runs through .ci/run)
#   make check     before a push: units, lint and sanity on the newest line, with a summary (a few minutes)
#   make coverage  line and branch coverage of plugins/ by the unit tests; fails below COVERAGE_FLOOR
#   make help      the list of targets and of the variables below
#
# Variables that can be set on the command line:
#   BASE_PYTHON=/path/to/python3.X    interpreter for the newest ansible-core line (2.21) and the tools
#                                     (default: newest 3.12..3.14 found)
#   PYTHON_2.19=/path/to/python3.X    interpreter for an older line, here 2.19 (default: 3.11 if found, else the
#                                     newest of the line's range; 2.20: 3.12, else 3.12..3.14; see PYTHONS_<line>
#                                     below)
#   SANITY_ARGS='--test pylint'       extra ansible-test sanity arguments (with --test: controller Python only)
#   SANITY_PYTHONS=auto               Pythons for the compile/import tests: auto (every version the modules
#                                     claim, tests/config.yml), none, or a list such as "3.9 3.12"; by default
#                                     auto on the newest line, none on the others (the same code, already compiled
#                                     and imported on every Python by the newest line's run)
#   UNITS_ARGS='--num-workers 1'      extra ansible-test units arguments
#   INTEGRATION_ARGS='database_user'  extra ansible-test integration arguments (a target, --exclude ...)
#   PYTEST_ARGS='-k user -x'          extra pytest arguments (make pytest, make e2e); a path in them (tests/...) replaces
#                                     the default ones: PYTEST_ARGS=tests/unit/plugins/module_utils/test_plan.py
#   EMULATOR_ARGS='--verbose'         extra arguments of the emulator's command line (make emulator)
#   REQUIRE_ALL_GATES=1               make test fails when a gate is skipped (default: 1 when CI=true)
#   COVERAGE=all                      make coverage measures the integration gate (newest line, without the
#                                     emulator-only targets) too, not only the units
#   VENV_CACHE=/path/to/dir           where the virtualenvs are built, shared by every clone on the machine, build/
#                                     holding links to them (default ~/.cache/scalingo-cloud/venvs; empty: in build/)

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
# The copy ansible-test needs (.../ansible_collections/<namespace>/<name>), kept by tools/sync_collection.py; a
# checkout that already sits at such a path (the layout contributors of other collections use) is used in place,
# so that a traceback points at the file to edit. The integration and e2e gates always run in copies of their own.
IN_PLACE := $(filter %/ansible_collections/scalingo/cloud,$(ROOT))
COLLECTION := $(or $(IN_PLACE),$(BUILD)/ansible_collections/scalingo/cloud)
INSTALLED := $(BUILD)/installed
TARBALL = $(BUILD)/dist/scalingo-cloud-$(shell sed -n 's/^version: *//p' '$(ROOT)/galaxy.yml').tar.gz

# The ansible-core lines the collection supports (meta/runtime.yml says >=2.19; 2.18 reached its end of life in
# November 2026), oldest first: units and integration run on every one, sanity on the oldest and the newest (SANITY_CORES). The newest line runs in the main
# virtualenv, with the tools (ansible.txt, pinned by constraints.txt); each other line in a virtualenv of its own
# (ansible-<line>.txt, pinned by constraints-core<line>.txt: make lock). Adding a line is one word here, and those
# two files.
CORES := 2.19 2.20 2.21
NEW_CORE := $(lastword $(CORES))
OLDER_CORES := $(filter-out $(NEW_CORE),$(CORES))
SANITY_CORES := $(firstword $(CORES)) $(NEW_CORE)
# The emulator-only targets (alias scalingo/emulator: faults, the rate limit) test the modules' own code, which depends
# little on ansible-core: they run on the newest line only, in a gate of their own (integration-emulator), so that
# their waits run alongside the other targets' rather than after them.

# The Python minor versions 3.x of a line: "lowest highest preferred"; a line not listed runs on 3.12..3.14 (the
# newest found). The preferred versions are spread over the lines, so that more Pythons run.
PYTHONS_2.19 := 11 13 11
PYTHONS_2.20 := 12 14 12
pythons = $(or $(PYTHONS_$(1)),12 14)

# Interpreters: "<X.Y> <path>" from tools/find_python.sh, for the interpreter variable of each line (BASE_PYTHON for
# the newest, PYTHON_<line> for the others): the one given, else the one remembered in build/, else the preferred
# one, else the newest on PATH or in pyenv.
python_var = $(if $(filter $(NEW_CORE),$(1)),BASE_PYTHON,PYTHON_$(1))
pick_python = $(shell MIN_MINOR=$(word 1,$(2)) MAX_MINOR=$(word 2,$(2)) PREFER_MINOR=$(word 3,$(2)) \
	'$(TOOLS)/find_python.sh' --pick '$(BUILD)/.$(1)' $(if $(filter undefined,$(origin $(1))),,'$($(1))') 2>/dev/null)
$(foreach core,$(CORES),$(eval PY.$(core) := $(call pick_python,$(call python_var,$(core)),$(call pythons,$(core)))))
py_version = $(word 1,$(PY.$(1)))
py_path = $(word 2,$(PY.$(1)))
no_python = no Python 3.$(word 1,$(call pythons,$(1)))..3.$(word 2,$(call pythons,$(1))) on PATH or in pyenv, and \
	ansible-core $(1) $(if $(filter $(NEW_CORE),$(1)),and the tools need,needs) one (install one, or set \
	$(call python_var,$(1))=/path/to/python3.X)
BASE_VERSION := $(call py_version,$(NEW_CORE))
BASE_PY := $(call py_path,$(NEW_CORE))
NO_BASE := $(call no_python,$(NEW_CORE))
# Any python3 is good enough for the scripts that do not need ansible.
HELPER_PY := $(or $(BASE_PY),$(firstword $(foreach core,$(OLDER_CORES),$(call py_path,$(core)))),python3)

# Virtualenvs, from pinned requirements (tools/make_venv.sh rebuilds one when its requirements change): the main
# one (target venv), one per older line (venv-<line>: ansible-core and what units and integration need, and sanity
# on the lines that run it), and the demo's. Each is built once in VENV_CACHE for every clone, and linked from build/.
VENV_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/scalingo-cloud/venvs
VENV_BIN := $(BUILD)/venv-$(BASE_VERSION)/bin
DEMO_VENV_BIN := $(BUILD)/venv-$(BASE_VERSION)-demo/bin
VENV_REQUIREMENTS := ansible sanity units tools e2e integration
LOCK := $(REQ)/constraints.txt
make_venv = VENV_CACHE='$(VENV_CACHE)' '$(TOOLS)/make_venv.sh' '$(1:/bin=)' '$(2)' '$(REQ)/pip.txt' '$(3)' $(patsubst %,'$(REQ)/%.txt',$(4))
venv_target = $(if $(filter $(NEW_CORE),$(1)),venv,venv-$(1))
venv_bin = $(if $(filter $(NEW_CORE),$(1)),$(VENV_BIN),$(BUILD)/venv-$(call py_version,$(1))-core$(1)/bin)
core_requirements = ansible-$(1) units integration $(if $(filter $(1),$(SANITY_CORES)),sanity)
core_lock = $(REQ)/constraints-core$(1).txt

# The gates of a line: units, integration, and sanity on SANITY_CORES; the newest line's without suffix.
gate_suffix = $(if $(filter $(NEW_CORE),$(1)),,-$(1))
core_gates = $(foreach gate,units $(if $(filter $(1),$(SANITY_CORES)),sanity) integration,$(gate)$(call gate_suffix,$(1)))
# Newest line first, then the others, oldest first.
ALL_CORES := $(NEW_CORE) $(OLDER_CORES)
gates_of = $(filter $(1)%,$(foreach core,$(ALL_CORES),$(call core_gates,$(core))))

# The gates of `make test`, run by tools/run_gates.sh in this order, those of the foreground one after the other.
# Those of BACKGROUND_LANES run alongside the foreground from the start, each in a copy of the collection of its own:
# each word is a lane, its gates joined by commas (one after the other), the lanes alongside each other. All of them
# share the CPUs: the foreground's gates of one process come first, while the lanes keep the CPUs busy, and the
# units, which use every CPU (pytest-xdist), last, once the lanes are done and would leave a CPU idle.
# The newest line's units run as the coverage gate: the same tests, under ansible-test's coverage, then the report.
TEST_TARGETS := $(call gates_of,sanity) lint docs changelog artifact galaxy-import ee coverage \
	$(filter-out units,$(call gates_of,units)) e2e $(call gates_of,integration) integration-emulator
comma := ,
# The default paths of a pytest run ($(1)), unless PYTEST_ARGS names some (tests/...).
pytest_paths = $(if $(filter tests/%,$(PYTEST_ARGS)),,$(1))
BACKGROUND_LANES := e2e $(call gates_of,integration) integration-emulator
BASE_GATES := lint docs changelog artifact galaxy-import ee e2e coverage

.PHONY: help venv $(foreach core,$(OLDER_CORES),venv-$(core)) venv-demo collection test pytest demo emulator bench dist \
	install changelog-release lock clean check $(TEST_TARGETS)

help:
	@echo 'make demo           the example playbook against the local emulator, step by step'
	@echo 'make emulator       the local emulator alone, with a real PostgreSQL, until Ctrl-C; it prints what to export'
	@echo 'make test           every gate below, with a summary; exit status 1 if one fails'
	@echo 'make check          before a push: $(CHECK_GATES) (sanity on the controller Python only), with a summary'
	@echo 'Gates (ansible-core/Python: $(foreach core,$(ALL_CORES),$(core)/$(or $(call py_version,$(core)),?))):'
	@echo '  units, units-<line>              ansible-test units ($(call gates_of,units)); older lines: $(OLDER_UNITS)'
	@echo '  sanity, sanity-<line>            ansible-test sanity, then compile/import on every Python the modules claim'
	@echo '                                   ($(call gates_of,sanity))'
	@echo '  lint                             ansible-lint --profile production, collection and documented playbooks'
	@echo '  docs                             antsibull-docs lint-collection-docs; the plugin reference (RST) into build/docs'
	@echo '  changelog                        antsibull-changelog lint; CHANGELOG.md up to date with the fragments'
	@echo '  artifact                         build, check and install the artifact; its example as two AWX jobs'
	@echo '  galaxy-import                    galaxy-importer on the artifact (offline); any warning fails'
	@echo '  ee                               ansible-builder introspect and create on the installed artifact'
	@echo '  e2e                              the emulator tests; concurrency, secret scans, documented playbooks (pytest)'
	@echo '  integration, integration-<line>  ansible-test integration against the emulator ($(call gates_of,integration)),'
	@echo '                                   every target but the emulator-only ones (any target named in INTEGRATION_ARGS)'
	@echo '  integration-emulator             the emulator-only targets (faults, rate limit), on $(NEW_CORE)'
	@echo 'A gate without a suffix runs on the newest line, $(NEW_CORE); <line> is one of $(OLDER_CORES).'
	@echo 'make coverage       line and branch coverage of plugins/ by the units (COVERAGE=all: and integration), with'
	@echo '                    ansible-test; fails below $(COVERAGE_FLOOR)% (the gate of make test that runs the newest line'"'"'s units)'
	@echo 'Other targets: pytest (unit tests, PYTEST_ARGS=...), bench, dist, install, changelog-release, venv,'
	@echo '  $(foreach core,$(OLDER_CORES),venv-$(core)), venv-demo, lock, clean'
	@echo 'Variables (make <target> NAME=value):'
	@sed -n '/^# Variables that can be set/,/^$$/s/^#   /  /p' '$(ROOT)/Makefile'

# ---------------------------------------------------------------------------
# Environments

venv:
	@'$(TOOLS)/need.sh' '$(BASE_PY)' '$(NO_BASE)'
	@$(call make_venv,$(VENV_BIN),$(BASE_PY),$(LOCK),$(VENV_REQUIREMENTS))

# venv-<line> for each older line.
define core_venv
venv-$(1):
	@'$$(TOOLS)/need.sh' '$(call py_path,$(1))' '$(call no_python,$(1))'
	@$(call make_venv,$(call venv_bin,$(1)),$(call py_path,$(1)),$(call core_lock,$(1)),$(call core_requirements,$(1)))

endef
$(foreach core,$(OLDER_CORES),$(eval $(call core_venv,$(core))))

venv-demo:
	@'$(TOOLS)/need.sh' '$(BASE_PY)' '$(NO_BASE)'
	@$(call make_venv,$(DEMO_VENV_BIN),$(BASE_PY),$(LOCK),ansible demo)

collection:
ifeq ($(IN_PLACE),)
	@'$(HELPER_PY)' '$(TOOLS)/sync_collection.py' '$(ROOT)' '$(COLLECTION)'
else
	@echo 'collection: in place, $(ROOT)'
endif

# ---------------------------------------------------------------------------
# Gates. A gate whose interpreter is missing reports itself skipped, with the reason (run_gates.sh --skip).

# The unit tests of an older line: those that run the modules and the inventory plugin under its ansible-core, through
# module_utils; the tests of module_utils alone (plain Python, the client against a fake transport) run on the newest.
OLDER_UNITS := tests/unit/plugins/modules/ tests/unit/plugins/inventory/

# Coverage is measured on the newest line only, when COVERAGE names gate $(3) (or is "all"): $(2) in the recipe of
# that gate of line $(1) then. The data of an earlier run is removed either way, so that make coverage never reports
# it. The integration gate's data (COVERAGE=all) left the figure at 97%, for 260 s more of CPU (coverage traces
# ansible-playbook itself): make coverage measures the units' by default.
if_coverage = $(if $(filter $(NEW_CORE),$(1)),$$(if $$(filter $(3) all,$$(COVERAGE)),$(2)))
COPY_PATH := ansible_collections/scalingo/cloud
# The floor of make coverage, in percent of lines and branches of plugins/ (coverage.py's "Cover"): the figure measured
# when it was set, so that a change that leaves code untested fails.
COVERAGE_FLOOR := 97

# ansible-test integration in the copy $(BUILD)/$(1), on line $(2), against the emulator of the main virtualenv.
run_integration = '$(VENV_BIN)/python' '$(TOOLS)/run_integration.py' --source '$(ROOT)' --copy '$(BUILD)/$(1)' \
	--ansible-bin '$(call venv_bin,$(2))' --python '$(call py_version,$(2))' --emulator-python '$(VENV_BIN)/python'

# The gates of one ansible-core line: units and sanity in the shared collection copy; integration in a copy of its
# own.
define core_line
ifneq ($(call py_path,$(1)),)

units$(call gate_suffix,$(1)): $(call venv_target,$(1)) collection
	$(if $(filter $(NEW_CORE),$(1)),rm -rf '$$(COLLECTION)/tests/output/coverage')
	'$$(TOOLS)/run_units.sh' '$(call venv_bin,$(1))' '$$(COLLECTION)' '$(call py_version,$(1))' \
		$(call if_coverage,$(1),--coverage,units) $$(or $$(UNITS_ARGS),$(if $(filter $(NEW_CORE),$(1)),,$(OLDER_UNITS)))

sanity$(call gate_suffix,$(1)): $(call venv_target,$(1)) collection
	'$$(TOOLS)/check_no_sanity_ignores.sh' '$$(ROOT)'
	'$$(TOOLS)/run_sanity.sh' '$(call venv_bin,$(1))' '$$(COLLECTION)' '$(call py_version,$(1))' \
		'$$(BUILD)/pybin-core$(1)' '$$(or $$(SANITY_PYTHONS),$(if $(filter $(NEW_CORE),$(1)),auto,none))' $$(SANITY_ARGS)

integration$(call gate_suffix,$(1)): venv $(call venv_target,$(1))
	$(if $(filter $(NEW_CORE),$(1)),rm -rf '$$(BUILD)/integration-$(1)/$(COPY_PATH)/tests/output/coverage')
	$(call run_integration,integration-$(1),$(1)) \
		$(if $(filter $(NEW_CORE),$(1)),$$(if $$(INTEGRATION_ARGS),,--exclude scalingo/emulator/),--exclude scalingo/emulator/) \
		$(call if_coverage,$(1),--coverage,integration) $$(INTEGRATION_ARGS)

else

$(call core_gates,$(1)):
	@'$$(TOOLS)/run_gates.sh' --skip '$$(STATUS)' $$@ '$(call no_python,$(1))'

endif
endef
$(foreach core,$(CORES),$(eval $(call core_line,$(core))))

ifneq ($(call py_path,$(NEW_CORE)),)
integration-emulator: venv $(call venv_target,$(NEW_CORE))
	$(call run_integration,integration-emulator,$(NEW_CORE)) scalingo/emulator/
else
integration-emulator:
	@'$(TOOLS)/run_gates.sh' --skip '$(STATUS)' $@ '$(call no_python,$(NEW_CORE))'
endif

ifneq ($(BASE_PY),)

lint: venv collection
	'$(TOOLS)/run_lint.sh' '$(VENV_BIN)' '$(COLLECTION)' '$(BUILD)/doc-playbooks'

docs: venv collection
	'$(TOOLS)/check_docs.sh' '$(VENV_BIN)' '$(COLLECTION)' '$(BUILD)/docs'

changelog: venv collection
	'$(TOOLS)/release_changelog.sh' check '$(VENV_BIN)' '$(COLLECTION)' '$(BUILD)/changelog'

artifact: install collection
	'$(VENV_BIN)/python' '$(TOOLS)/check_artifact.py' '$(TARBALL)' '$(COLLECTION)'
	'$(TOOLS)/run_in_collection.sh' '$(VENV_BIN)' '$(COLLECTION)' env SCALINGO_TEST_INSTALLED='$(INSTALLED)' \
		PYTHONDONTWRITEBYTECODE=1 python -m pytest -p no:cacheprovider $(PYTEST_ARGS) $(call pytest_paths,tests/awx)

galaxy-import: dist
	'$(TOOLS)/check_galaxy_import.sh' '$(VENV_BIN)' '$(TARBALL)' '$(BUILD)/galaxy-import' '$(TOOLS)/galaxy-importer.cfg'

ee: install
	'$(VENV_BIN)/python' '$(TOOLS)/check_execution_environment.py' --ansible-bin '$(VENV_BIN)' --source '$(ROOT)' \
		--tarball '$(TARBALL)' --collections-path '$(INSTALLED)' --work '$(BUILD)/ee' --context '$(BUILD)/ee-context'

# The units of the newest line under ansible-test's coverage (and the integration gate too with COVERAGE=all), then the
# report, which fails below COVERAGE_FLOOR: the gate of make test that runs the newest line's units.
coverage: venv
	@$(MAKE) units COVERAGE=units
	$(if $(filter all,$(COVERAGE)),@$(MAKE) integration COVERAGE=all)
	'$(TOOLS)/report_coverage.sh' '$(VENV_BIN)' '$(COLLECTION)' '$(COVERAGE_FLOOR)' \
		$(if $(filter all,$(COVERAGE)),'$(BUILD)/integration-$(NEW_CORE)/$(COPY_PATH)')

# From a copy of the collection of its own: it runs alongside the gates that use the shared one.
e2e: venv
	'$(HELPER_PY)' '$(TOOLS)/sync_collection.py' '$(ROOT)' '$(BUILD)/e2e/ansible_collections/scalingo/cloud'
	'$(TOOLS)/run_in_collection.sh' '$(VENV_BIN)' '$(BUILD)/e2e/ansible_collections/scalingo/cloud' \
		python -m pytest -p no:cacheprovider -n 2 $(PYTEST_ARGS) $(call pytest_paths,tests/emulator tests/e2e)

else

$(BASE_GATES):
	@'$(TOOLS)/run_gates.sh' --skip '$(STATUS)' $@ '$(NO_BASE)'

endif

# The virtualenvs first, side by side (the gates share them), then every gate even when an earlier one failed.
test:
	-@$(MAKE) -j 4 $(foreach core,$(CORES),$(if $(call py_path,$(core)),$(call venv_target,$(core))))
	@MAKE='$(MAKE)' '$(TOOLS)/run_gates.sh' '$(STATUS)' \
		$(foreach lane,$(BACKGROUND_LANES),--background '$(subst $(comma), ,$(lane))') $(TEST_TARGETS)

# The subset of the gates worth running before a push, on the newest line: what fails most often, in a few minutes.
CHECK_GATES := units lint sanity
check:
	@MAKE='$(MAKE)' SANITY_PYTHONS=none '$(TOOLS)/run_gates.sh' '$(BUILD)/check-status' $(CHECK_GATES)

# ---------------------------------------------------------------------------
# Development

pytest: venv collection
	'$(TOOLS)/run_in_collection.sh' '$(VENV_BIN)' '$(COLLECTION)' python -m pytest -p no:cacheprovider \
		$(PYTEST_ARGS) $(call pytest_paths,tests/unit)

demo: venv-demo collection
	'$(TOOLS)/run_in_collection.sh' '$(DEMO_VENV_BIN)' '$(COLLECTION)' python tests/demo/demo.py

# In the foreground until Ctrl-C, never with in-memory PostgreSQL users (--pg embedded). EMULATOR_ARGS='--verbose'.
emulator: venv-demo collection
	'$(TOOLS)/run_in_collection.sh' '$(DEMO_VENV_BIN)' '$(COLLECTION)' python tests/emulator/scalingo_emulator \
		--pg embedded --print-env $(EMULATOR_ARGS)

# Figures, never asserted: BENCH_ARGS='--quick' or '--users 50'; RATIOS_ARGS='--quick' or '--rounds 9';
# SCALE_ARGS='--quick' or '--users 1000 5000'; INVENTORY_ARGS='--quick' or '--apps 1 50'; first_run.py takes none.
bench: venv collection
	for run in 'bench.py $(BENCH_ARGS)' 'ratios.py $(RATIOS_ARGS)' 'scale.py $(SCALE_ARGS)' first_run.py \
		'inventory.py $(INVENTORY_ARGS)'; do '$(TOOLS)/run_in_collection.sh' '$(VENV_BIN)' '$(COLLECTION)' python tests/bench/$$run \
		|| exit 1; done

# ---------------------------------------------------------------------------
# Packaging and maintenance

dist: venv
	'$(TOOLS)/build_artifact.sh' '$(VENV_BIN)' '$(ROOT)' '$(BUILD)/dist'

install: dist
	'$(TOOLS)/install_artifact.sh' '$(VENV_BIN)' '$(TARBALL)' '$(INSTALLED)'

changelog-release: venv collection
	'$(TOOLS)/release_changelog.sh' write '$(VENV_BIN)' '$(COLLECTION)' '$(BUILD)/changelog' '$(ROOT)'

# Each lock resolved by the interpreter its virtualenv is built with.
define lock_core
@'$(TOOLS)/need.sh' '$(call py_path,$(1))' '$(call no_python,$(1))'
'$(call py_path,$(1))' '$(TOOLS)/lock_requirements.py' --output '$(call core_lock,$(1))' $(patsubst %,'$(REQ)/%.txt',$(call core_requirements,$(1)))

endef

lock:
	@'$(TOOLS)/need.sh' '$(BASE_PY)' '$(NO_BASE)'
	'$(BASE_PY)' '$(TOOLS)/lock_requirements.py' --output '$(LOCK)' $(patsubst %,'$(REQ)/%.txt',$(VENV_REQUIREMENTS) demo)
	$(foreach core,$(OLDER_CORES),$(call lock_core,$(core)))

clean:
	rm -rf '$(BUILD)' '$(ROOT)/tests/output' '$(ROOT)/.pytest_cache' '$(ROOT)/.hypothesis'
