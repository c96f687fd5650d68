# txplan's two commands for a fresh clone (only Python >= 3.10 needed):
#   make demo   set up, then render the bundled example plan, a plan review and a discharge summary into out/
#   make test   set up, then run the whole test suite against the installed wheel
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test bench serve wheel clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The wheel is what users install, so tests run against it (a missing package-data file fails
# here, not on a user's machine).
wheel: $(BIN)/python
	rm -rf dist build  # a stale build/ would put deleted modules back into the wheel
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .

demo: wheel
	$(BIN)/python -m pip install --quiet --force-reinstall --no-deps dist/*.whl
	$(BIN)/python -m pip install --quiet "$$(ls dist/*.whl)[charts]"
	# PDF needs LibreOffice; without it the demo says so and writes the other formats.
	@if command -v soffice >/dev/null 2>&1 || command -v libreoffice >/dev/null 2>&1; then \
		$(BIN)/txplan render examples/attachment-plan.yaml -f docx,markdown,html,pdf -o out/; \
	else \
		echo "make demo: LibreOffice is not installed, so no PDF (Debian/Ubuntu: libreoffice-writer-nogui)"; \
		$(BIN)/txplan render examples/attachment-plan.yaml -f docx,markdown,html -o out/; \
	fi
	$(BIN)/txplan render --document review examples/reviewed-plan.yaml -f docx,markdown,html -o out/
	$(BIN)/txplan render --document discharge examples/discharged-plan.yaml -f docx,markdown,html -o out/

test: wheel
	$(BIN)/python -m pip install --quiet --force-reinstall --no-deps dist/*.whl
	$(BIN)/python -m pip install --quiet "$$(ls dist/*.whl)[test]"
	# The example third-party plugin, installed as a contributor's package would be.
	$(BIN)/python -m pip install --quiet --force-reinstall --no-deps ./examples/plugins/txplan-pcl5
	# Lint and types come first; a finding fails the target (make stops at a failing command).
	$(BIN)/ruff check .
	# mypy checks txplan as installed: the wheel ships py.typed, so these are the types users see.
	$(BIN)/mypy -p txplan
	# The pytest script (not `python -m pytest`) keeps the repository root off sys.path, so the
	# tests import the installed txplan, never core/ or plugins/ from the working tree.
	$(BIN)/pytest

# The clinician's workspace over the example plans (FOLDER=... for another caseload).
FOLDER ?= examples
serve: wheel
	$(BIN)/python -m pip install --quiet --force-reinstall --no-deps dist/*.whl
	$(BIN)/python -m pip install --quiet "$$(ls dist/*.whl)[serve]"
	$(BIN)/txplan serve $(FOLDER)

# Not part of `make test`: timings belong in a benchmark, never in a unit test.
bench: wheel
	$(BIN)/python -m pip install --quiet --force-reinstall --no-deps dist/*.whl
	$(BIN)/python -m pip install --quiet "$$(ls dist/*.whl)[charts]" "docxtpl>=0.16"
	$(BIN)/python benchmarks/bench.py --write-readme
	$(BIN)/python benchmarks/bench_pdf.py
	$(BIN)/python -m pip install --quiet "$$(ls dist/*.whl)[serve]"
	$(BIN)/python benchmarks/serve_bench.py --write-readme

clean:
	rm -rf $(VENV) dist build out *.egg-info
