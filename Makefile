# Build and test entry points for the scalingo.cloud Ansible collection: thin targets over the scripts of tools/.
# `make help` lists them, and the variables below.
#
# Variables that can be set on the command line:
#   BASE_PYTHON=/path/to/python3.X    interpreter for the newest ansible-core line (2.21) and the tools
#                                     (default: newest 3.12..3.14 found)
#   PYTHON_2.19=/path/to/python3.X    interpreter for an older line, here 2.19 (default: 3.11 if found, else the
#                                     newest of 3.11..3.13; 2.20: 3.12, else the newest of 3.12..3.14)
#   SANITY_ARGS='--test pylint'       extra ansible-test sanity arguments
#   SANITY_PYTHONS=auto               auto: compile and import also on every Python the modules claim (tests/config.yml)
#                                     that this machine has; none: on the controller Python only. By default auto on
#                                     the newest line, none on the others (the same code, already compiled and
#                                     imported on every Python by the newest line's run)
#   UNITS_ARGS='--num-workers 1'      extra ansible-test units arguments
#   INTEGRATION_ARGS='database_user'  extra ansible-test integration arguments (a target, --exclude ...)
#   PYTEST_ARGS='-k user -x'          extra pytest arguments (make pytest, make e2e); a path in them (tests/...) replaces
#                                     the default ones: PYTEST_ARGS=tests/unit/plugins/module_utils/test_advice.py
#   EMULATOR_ARGS='--verbose'         extra arguments of the emulator's command line (make emulator)
#   REQUIRE_ALL_GATES=1               make test fails when a gate is skipped (default: 1 when CI=true)
#   COVERAGE=all                      make coverage measures the integration gate (newest line, without the
#                                     emulator-only targets) too, not only the units
#   VENV_CACHE=/path/to/dir           where the virtualenvs are built, shared by every clone on the machine, build/
#                                     holding links to them (default ~/.cache/scalingo-cloud/venvs; empty: in build/)
#   BENCH_ARGS, RATIOS_ARGS, SCALE_ARGS, INVENTORY_ARGS   arguments of make bench's scripts ('--quick', ...)

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
# ansible-test runs only from .../ansible_collections/<namespace>/<name>: a checkout at such a path is used in place
# (a traceback then points at the file to edit), any other is copied to build/ by tools/sync_collection.py. The
# integration and e2e gates always run in copies of their own, so that they can run alongside the others.
COPY_PATH := ansible_collections/scalingo/cloud
IN_PLACE := $(filter %/$(COPY_PATH),$(ROOT))
COLLECTION := $(or $(IN_PLACE),$(BUILD)/$(COPY_PATH))
INSTALLED := $(BUILD)/installed
TARBALL = $(BUILD)/dist/scalingo-cloud-$(shell sed -n 's/^version: *//p' '$(ROOT)/galaxy.yml').tar.gz

# The ansible-core lines the collection supports (meta/runtime.yml: >=2.19), oldest first: units and integration run
# on every one, sanity on the oldest and the newest. The newest runs in the main virtualenv, with the tools
# (ansible.txt, pinned by constraints.txt); each other in one of its own (ansible-<line>.txt, pinned by
# constraints-core<line>.txt: make lock). Adding a line is one word here, and those two files.
CORES := 2.19 2.20 2.21
NEW_CORE := $(lastword $(CORES))
OLDER_CORES := $(filter-out $(NEW_CORE),$(CORES))
ALL_CORES := $(NEW_CORE) $(OLDER_CORES)
SANITY_CORES := $(firstword $(CORES)) $(NEW_CORE)
is_new = $(filter $(NEW_CORE),$(1))

# The Python minor versions 3.x of a line: "lowest highest preferred", spread over the lines so that more Pythons run;
# a line not listed runs on the newest of 3.12..3.14. Its interpreter, "<X.Y> <path>": the one given (BASE_PYTHON for
# the newest line, PYTHON_<line> for the others), else the one remembered in build/, else the preferred one, else
# the newest (tools/find_python.sh).
PYTHONS_2.19 := 11 13 11
PYTHONS_2.20 := 12 14 12
pythons = $(or $(PYTHONS_$(1)),12 14)
python_var = $(if $(call is_new,$(1)),BASE_PYTHON,PYTHON_$(1))
pick_python = $(shell '$(TOOLS)/find_python.sh' --pick '$(BUILD)/.$(1)' $(wordlist 1,2,$(2)) '$(word 3,$(2))' \
	$(if $(filter undefined,$(origin $(1))),,'$($(1))') 2>/dev/null)
$(foreach core,$(CORES),$(eval PY.$(core) := $(call pick_python,$(call python_var,$(core)),$(call pythons,$(core)))))
py_version = $(word 1,$(PY.$(1)))
py_path = $(word 2,$(PY.$(1)))
no_python = no Python 3.$(word 1,$(call pythons,$(1)))..3.$(word 2,$(call pythons,$(1))) on PATH or in pyenv, and \
	ansible-core $(1) $(if $(call is_new,$(1)),and the tools need,needs) one (install one, or set \
	$(call python_var,$(1))=/path/to/python3.X)
# In a recipe: stop with that message when line $(1) has no interpreter.
need_python = $(if $(call py_path,$(1)),,$(error $(call no_python,$(1))))
BASE_PY := $(call py_path,$(NEW_CORE))
# The recipe of a gate that cannot run for want of an interpreter: skipped, the reason left beside the notes of
# tools/run_gates.sh ($$GATE_NOTES), which counts it.
skip_gate = @notes="$${GATE_NOTES:-$(STATUS)/$@.notes}" && mkdir -p "$${notes%/*}" && echo '$(call no_python,$(1))' | \
	tee "$${notes%.notes}.skipped" | sed 's/^/SKIPPED make $@: /' >&2

# Virtualenvs, from pinned requirements, each built once in VENV_CACHE for every clone and linked from build/
# (tools/make_venv.sh, which builds one again when its requirements change): the main one (venv), one per older line
# (venv-<line>: ansible-core and what its gates need), and the demo's (venv-demo: what make demo needs, no more).
VENV_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/scalingo-cloud/venvs
VENV_BIN := $(BUILD)/venv-$(call py_version,$(NEW_CORE))/bin
DEMO_VENV_BIN := $(BUILD)/venv-$(call py_version,$(NEW_CORE))-demo/bin
VENV_REQUIREMENTS := ansible sanity units tools e2e integration
venv_target = $(if $(call is_new,$(1)),venv,venv-$(1))
venv_bin = $(if $(call is_new,$(1)),$(VENV_BIN),$(BUILD)/venv-$(call py_version,$(1))-core$(1)/bin)
core_requirements = ansible-$(1) units integration $(if $(filter $(1),$(SANITY_CORES)),sanity)
core_lock = $(REQ)/constraints$(if $(call is_new,$(1)),,-core$(1)).txt
requirements = $(patsubst %,'$(REQ)/%.txt',$(1))
# $(1) a line, $(2) the virtualenv's bin/, $(3) its requirements.
make_venv = $(call need_python,$(1))VENV_CACHE='$(VENV_CACHE)' '$(TOOLS)/make_venv.sh' '$(2:/bin=)' '$(call py_path,$(1))' \
	'$(REQ)/pip.txt' '$(call core_lock,$(1))' $(call requirements,$(3))

# The gates of a line: units, integration, and sanity on SANITY_CORES; the newest line's without suffix.
gate_suffix = $(if $(call is_new,$(1)),,-$(1))
core_gates = $(foreach gate,units $(if $(filter $(1),$(SANITY_CORES)),sanity) integration,$(gate)$(call gate_suffix,$(1)))
gates_of = $(filter $(1)%,$(foreach core,$(ALL_CORES),$(call core_gates,$(core))))
BASE_GATES := lint docs changelog artifact galaxy-import ee e2e coverage

# The gates of `make test`, in this order (tools/run_gates.sh). Those of BACKGROUND run alongside the others from the
# start, each in a copy of the collection of its own; the others one after the other: those of one process first,
# while the background keeps the CPUs busy, and the units, which use every CPU (pytest-xdist), last, once the
# background is done. The newest line's units run as the coverage gate: the same tests under ansible-test's coverage.
BACKGROUND := e2e $(call gates_of,integration) integration-emulator
TEST_TARGETS := $(call gates_of,sanity) lint docs changelog artifact galaxy-import ee coverage \
	$(filter-out units,$(call gates_of,units)) $(BACKGROUND)
CHECK_GATES := units lint sanity
# The default paths of a pytest run ($(1)), unless PYTEST_ARGS names some (tests/...).
pytest_paths = $(if $(filter tests/%,$(PYTEST_ARGS)),,$(1))
in_collection = '$(TOOLS)/run_in_collection.sh' '$(VENV_BIN)' '$(COLLECTION)'
gate = '$(TOOLS)/gate.sh' $(1) '$(VENV_BIN)' '$(COLLECTION)'

.PHONY: help venv $(foreach core,$(OLDER_CORES),venv-$(core)) venv-demo collection test pytest demo emulator bench dist \
	install changelog-release lock clean check $(TEST_TARGETS)

help:
	@echo 'make demo           the example playbook against the local emulator, step by step'
	@echo 'make emulator       the local emulator alone, with a real PostgreSQL, until Ctrl-C; it prints what to export'
	@echo 'make test           every gate below, with a summary; exit status 1 if one fails (what CI runs: .ci/run)'
	@echo 'make check          before a push: $(CHECK_GATES) (sanity on the controller Python only), with a summary'
	@echo 'Gates (ansible-core/Python: $(foreach core,$(ALL_CORES),$(core)/$(or $(call py_version,$(core)),?))):'
	@echo '  units, units-<line>              ansible-test units ($(call gates_of,units)); older lines: $(OLDER_UNITS)'
	@echo '  sanity, sanity-<line>            ansible-test sanity, no ignore file; compile/import on every Python the'
	@echo '                                   modules claim ($(call gates_of,sanity))'
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
	@echo '  $(foreach core,$(OLDER_CORES),venv-$(core)), venv-demo, collection, lock, clean'
	@echo 'Variables (make <target> NAME=value):'
	@sed -n '/^# Variables that can be set/,/^$$/s/^#   /  /p' '$(ROOT)/Makefile'

# ---------------------------------------------------------------------------
# Environments

venv:
	@$(call make_venv,$(NEW_CORE),$(VENV_BIN),$(VENV_REQUIREMENTS))

$(foreach core,$(OLDER_CORES),venv-$(core)): venv-%:
	@$(call make_venv,$*,$(call venv_bin,$*),$(call core_requirements,$*))

venv-demo:
	@$(call make_venv,$(NEW_CORE),$(DEMO_VENV_BIN),ansible demo)

collection:
	@$(if $(IN_PLACE),echo 'collection: in place: $(ROOT)',$(or $(BASE_PY),python3) '$(TOOLS)/sync_collection.py' '$(ROOT)' '$(COLLECTION)')

# ---------------------------------------------------------------------------
# Gates. A gate whose interpreter is missing reports itself skipped, with the reason.

# The unit tests of an older line: those that run the modules and the inventory plugin under its ansible-core, through
# module_utils; the tests of module_utils alone (plain Python, the client against a fake transport) run on the newest.
OLDER_UNITS := tests/unit/plugins/modules/ tests/unit/plugins/inventory/
# The floor of make coverage, in percent of lines and branches of plugins/ (coverage.py's "Cover"): the figure measured
# when it was set, so that a change that leaves code untested fails. The units' data only, by default: the
# integration gate's (COVERAGE=all) left the figure at 97%, for 260 s more of CPU (coverage traces ansible-playbook).
COVERAGE_FLOOR := 97

# ansible-test integration on line $(1), in the copy build/integration-$(2), against the emulator of the main
# virtualenv. Its coverage data (newest line, COVERAGE=all) is removed first, so that make coverage never reports an
# earlier run's.
run_integration = rm -rf '$(BUILD)/integration-$(2)/$(COPY_PATH)/tests/output/coverage' && '$(VENV_BIN)/python' \
	'$(TOOLS)/run_integration.py' --source '$(ROOT)' --copy '$(BUILD)/integration-$(2)' --ansible-bin '$(call venv_bin,$(1))' \
	--python '$(call py_version,$(1))'

# The gates of one line: units and sanity in the shared collection copy; integration in a copy of its own.
define core_line
ifneq ($(call py_path,$(1)),)
units$(call gate_suffix,$(1)): $(call venv_target,$(1)) collection
	$(if $(call is_new,$(1)),rm -rf '$$(COLLECTION)/tests/output/coverage')
	'$$(TOOLS)/gate.sh' units '$(call venv_bin,$(1))' '$$(COLLECTION)' '$(call py_version,$(1))' \
		$(if $(call is_new,$(1)),$$(if $$(COVERAGE),--coverage)) $$(or $$(UNITS_ARGS),$(if $(call is_new,$(1)),,$(OLDER_UNITS)))

sanity$(call gate_suffix,$(1)): $(call venv_target,$(1)) collection
	'$$(TOOLS)/gate.sh' sanity '$(call venv_bin,$(1))' '$$(COLLECTION)' '$(call py_version,$(1))' \
		'$$(BUILD)/pybin-core$(1)' '$$(or $$(SANITY_PYTHONS),$(if $(call is_new,$(1)),auto,none))' $$(SANITY_ARGS)

integration$(call gate_suffix,$(1)): venv $(call venv_target,$(1))
	$(call run_integration,$(1),$(1)) $(if $(call is_new,$(1)),$$(if $$(INTEGRATION_ARGS),,--exclude scalingo/emulator/) \
		$$(if $$(filter all,$$(COVERAGE)),--coverage),--exclude scalingo/emulator/) $$(INTEGRATION_ARGS)
else
$(call core_gates,$(1)):
	$$(call skip_gate,$(1))
endif
endef
$(foreach core,$(CORES),$(eval $(call core_line,$(core))))

ifneq ($(BASE_PY),)
integration-emulator: venv
	$(call run_integration,$(NEW_CORE),emulator) scalingo/emulator/

lint: venv collection
	$(call gate,lint) '$(BUILD)/doc-playbooks'

docs: venv collection
	$(call gate,docs) '$(BUILD)/docs'

changelog: venv collection
	$(call gate,changelog) '$(BUILD)/changelog'

artifact: install collection
	'$(VENV_BIN)/python' '$(TOOLS)/check_artifact.py' '$(TARBALL)' '$(ROOT)'
	$(in_collection) env SCALINGO_TEST_INSTALLED='$(INSTALLED)' PYTHONDONTWRITEBYTECODE=1 \
		python -m pytest -p no:cacheprovider $(PYTEST_ARGS) $(call pytest_paths,tests/awx)

galaxy-import: dist collection
	$(call gate,galaxy-import) '$(TARBALL)' '$(BUILD)/galaxy-import'

ee: install collection
	$(call gate,ee) '$(TARBALL)' '$(INSTALLED)' '$(BUILD)/ee'

# The units of the newest line under ansible-test's coverage (and the integration gate too with COVERAGE=all), then the
# report, which fails below COVERAGE_FLOOR.
coverage: venv
	@$(MAKE) units COVERAGE=$(or $(COVERAGE),units)
	$(if $(filter all,$(COVERAGE)),@$(MAKE) integration)
	$(call gate,coverage) '$(COVERAGE_FLOOR)' $(if $(filter all,$(COVERAGE)),'$(BUILD)/integration-$(NEW_CORE)/$(COPY_PATH)')

e2e: venv
	'$(VENV_BIN)/python' '$(TOOLS)/sync_collection.py' '$(ROOT)' '$(BUILD)/e2e/$(COPY_PATH)'
	'$(TOOLS)/run_in_collection.sh' '$(VENV_BIN)' '$(BUILD)/e2e/$(COPY_PATH)' \
		python -m pytest -p no:cacheprovider -n 2 $(PYTEST_ARGS) $(call pytest_paths,tests/emulator tests/e2e)
else
integration-emulator $(BASE_GATES):
	$(call skip_gate,$(NEW_CORE))
endif

# The virtualenvs first, side by side (the gates share them), then every gate even when an earlier one failed.
test:
	-@$(MAKE) -j 4 $(foreach core,$(CORES),$(if $(call py_path,$(core)),$(call venv_target,$(core))))
	@MAKE='$(MAKE)' '$(TOOLS)/run_gates.sh' '$(STATUS)' --background '$(BACKGROUND)' $(TEST_TARGETS)

# What fails most often, in a few minutes.
check:
	@MAKE='$(MAKE)' SANITY_PYTHONS=none '$(TOOLS)/run_gates.sh' '$(BUILD)/check-status' $(CHECK_GATES)

# ---------------------------------------------------------------------------
# Development

pytest: venv collection
	$(in_collection) python -m pytest -p no:cacheprovider $(PYTEST_ARGS) $(call pytest_paths,tests/unit)

demo: venv-demo collection
	'$(TOOLS)/run_in_collection.sh' '$(DEMO_VENV_BIN)' '$(COLLECTION)' python tests/demo/demo.py

# In the foreground until Ctrl-C, never with in-memory PostgreSQL users (--pg embedded).
emulator: venv-demo collection
	'$(TOOLS)/run_in_collection.sh' '$(DEMO_VENV_BIN)' '$(COLLECTION)' python tests/emulator/scalingo_emulator \
		--pg embedded --print-env $(EMULATOR_ARGS)

# Figures, never asserted: first_run.py takes no argument.
bench: venv collection
	for run in 'bench.py $(BENCH_ARGS)' 'ratios.py $(RATIOS_ARGS)' 'scale.py $(SCALE_ARGS)' first_run.py \
		'inventory.py $(INVENTORY_ARGS)'; do $(in_collection) python tests/bench/$$run || exit 1; done

# ---------------------------------------------------------------------------
# Packaging and maintenance: the artifact built as a maintainer does (build_ignore in galaxy.yml keeps the tooling and
# the leftovers out: make artifact checks it), and installed as users do, offline.

dist: venv
	rm -rf '$(BUILD)/dist'
	'$(VENV_BIN)/ansible-galaxy' collection build --output-path '$(BUILD)/dist' '$(ROOT)'

install: dist
	rm -rf '$(INSTALLED)'
	ANSIBLE_COLLECTIONS_PATH='$(INSTALLED)' '$(VENV_BIN)/ansible-galaxy' collection install --offline '$(TARBALL)' -p '$(INSTALLED)'

changelog-release: venv collection
	$(call gate,changelog) '$(BUILD)/changelog' '$(ROOT)'

# Each lock resolved by the interpreter its virtualenv is built with; the main one also pins the demo's.
define lock_line
$(call need_python,$(1))'$(call py_path,$(1))' '$(TOOLS)/lock_requirements.py' --output '$(call core_lock,$(1))' \
	$(call requirements,$(if $(call is_new,$(1)),$(VENV_REQUIREMENTS) demo,$(call core_requirements,$(1))))

endef
lock:
	$(foreach core,$(CORES),$(call lock_line,$(core)))

clean:
	rm -rf '$(BUILD)' '$(ROOT)/tests/output' '$(ROOT)/.pytest_cache' '$(ROOT)/.hypothesis'
