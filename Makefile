# Thin targets named for what a person wants. Each one does its own set-up.
.PHONY: install run demo test lint bench clean chart images

VENV := .venv/bin
CARD ?=

install:
	@bash scripts/install.sh

run: install
	@$(VENV)/ibbase up $(if $(RAY),--ray)

demo: install
	@$(VENV)/ibbase demo $(if $(CARD),--card $(CARD))

test: install
	$(VENV)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy
	PYTHONPATH=.:operator:devtools $(VENV)/lint-imports
	$(VENV)/hadolint --failure-threshold warning images/Dockerfile images/ray-base.Dockerfile

chart: install
	@bash scripts/install_helm.sh
	.tools/helm/helm lint --strict charts/ibbase
	$(VENV)/python -m pytest tests/chart

# The three images, built without a Docker daemon (buildah), then run: non-root, no
# compilers, the gateway answering the webhook challenge as `helm test` asks it.
images: install
	@bash scripts/build_images.sh
	$(VENV)/python -m pytest -s tests/images

bench: install
	$(VENV)/python bench/webhook.py
	$(VENV)/python bench/pipeline.py
	$(VENV)/python bench/cards.py

clean:
	rm -rf .run .pytest_cache
