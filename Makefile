# PS suite: thin targets; the logic lives in tools/*.sh.
#   make setup   Python requirements, Odoo 18.0, PostgreSQL check
#   make test    fresh database, the six addons without demo data, pytest   (TESTS=..., ARGS=...)
#   make run     serve the suite with demo data on http://localhost:8069 (admin / admin)
#   make test-odoo  Odoo's own tests of sale, project, timesheets, expenses, account with the suite
#                installed: rules archived, then default policies (ODOO_TEST_PASS, ODOO_TEST_MODULES)
#   make bench   suite vs plain Odoo vs OCA peers on throwaway databases (ARGS="--quick" smoke run)
#   make lint    ruff + pylint-odoo (tools installed from requirements-dev.txt)
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# Narrow `make test`: TESTS="addons/ps_base/tests/test_x.py" ARGS="-k name -x"
TESTS ?=
ARGS ?=
export TESTS ARGS

# make test-odoo ODOO_TEST_PASS=archived|policies|both|vanilla ODOO_TEST_MODULES=sale,hr_expense
ODOO_TEST_PASS ?= both
ODOO_TEST_MODULES ?=
export ODOO_TEST_PASS ODOO_TEST_MODULES

.PHONY: help setup test test-odoo run bench lint

help:
	@sed -n 's/^#   //p' Makefile

setup:
	@bash tools/setup.sh

test: setup
	@bash tools/run_tests.sh

test-odoo: setup
	@bash tools/run_odoo_tests.sh

run: setup
	@bash tools/run_server.sh

bench: setup
	@bash tools/run_bench.sh

lint:
	@bash tools/lint.sh
