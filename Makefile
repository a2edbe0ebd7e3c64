# The README's commands. Everything installs into .venv; nothing here needs a GPU or the internet.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q --disable-pip-version-check
STAMP := $(VENV)/.dhf-installed

export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export HF_HUB_OFFLINE := 1
export NO_ALBUMENTATIONS_UPDATE := 1
export GX_ANALYTICS_ENABLED := false
export TORCHINDUCTOR_CACHE_DIR ?= $(CURDIR)/.cache/torchinductor

.PHONY: install lint demo test ui review bench clean

# Order from ../shared/SETUP.md: the local CPU torch first, then the pins under constraints that
# keep torch/torchvision where they are, then the two detector packages without their obsolete pins.
# The extras: `test` (pytest, the browser driver, ruff, deptry) and `scaleout` (Celery, Kubernetes, PostgreSQL).
$(STAMP): pyproject.toml requirements/constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) torch==2.13.0
	$(PIP) -c requirements/constraints.txt -e ".[test,scaleout]"
	$(PIP) --no-deps facenet-pytorch==2.6.0 retinaface-pytorch==0.0.8
	touch $(STAMP)

install: $(STAMP)

# The sample has no reviewers: candidates scoring at least this join 3k as reviewer "auto"
# (off by default elsewhere); the rest wait in the review queue.
demo ui: export DHF_AUTO_ACCEPT ?= 0.9995
# No GPU or model weights are assumed: the sample standardizes with the Lanczos backend unless
# DHF_UPSCALER is set (e.g. DHF_UPSCALER=realesrgan DHF_SR_MODEL=path/to/x4-model.safetensors).
demo ui: export DHF_UPSCALER ?= lanczos

demo: install
	$(VENV)/bin/dhf demo

# Style (ruff, pyproject.toml's [tool.ruff]) and declared imports (deptry, [tool.deptry]).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/deptry .

test: install lint
	$(VENV)/bin/pytest -q

ui: install
	mkdir -p $(DAGSTER_HOME) && (test -f $(DAGSTER_HOME)/dagster.yaml || cp dagster.yaml $(DAGSTER_HOME)/)
	$(VENV)/bin/dagster dev -h 127.0.0.1 -p $${DHF_UI_PORT:-3000} -w workspace.yaml

# The review workbench on the same settings as `dhf` and the UI (loopback only): http://127.0.0.1:8765
review: install
	$(VENV)/bin/dhf review serve --port $${DHF_REVIEW_PORT:-8765}

clean:
	rm -rf data .dagster_home .cache
