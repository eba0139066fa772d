#!/usr/bin/env bash
# The inventory plugin scalingo.cloud.databases as users run it: ansible-inventory --list, then a play over the groups
# it makes. Its configuration file is written from tests/integration/integration_config.yml (the emulator's, or a real
# account's: the plugin only reads).
set -eux

config=../../integration_config.yml

ansible-playbook write_inventory.yml -e "@${config}" -e "output_dir=${OUTPUT_DIR}" "$@"
ansible-inventory -i "${OUTPUT_DIR}/it.scalingo.yml" --list --output "${OUTPUT_DIR}/inventory.json" "$@"
ansible-playbook -i "${OUTPUT_DIR}/it.scalingo.yml" -i localhost, check_inventory.yml -e "@${config}" \
    -e "output_dir=${OUTPUT_DIR}" "$@"
