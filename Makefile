# `make run`: set everything up and start the workbench.  `make test`: set up and run the tests.
.PHONY: run test lint guests bench package

run:
	scripts/setup run
	.venv/bin/zkwb-workbench

test:
	scripts/setup test
	$(MAKE) --no-print-directory lint
	QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -n 2 -q

# The layers, no import cycles, and neither the engine nor the workbench's model imports
# Qt (import-linter); ruff's checks (pyproject.toml).
lint:
	.venv/bin/lint-imports --config pyproject.toml
	.venv/bin/ruff check .

guests:
	$(MAKE) -C resources/guests

bench:
	scripts/setup run
	.venv/bin/zkwb bench

# dist/zkwb_<version>_amd64.deb and dist/zkwb-<version>-linux-x86_64.tar.gz (packaging/build)
package:
	packaging/build
