# Thin targets named for what a person wants. Each one does its own set-up.
.PHONY: install run demo test lint bench clean chart images kube-tools test-operator

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

# The operator suite alone, on both Kubernetes APIs (the emulator and the real API server),
# with the real cluster's own checks and the chart's server-side dry run.
test-operator: install
	$(VENV)/python -m pytest tests/operator tests/kube_real $(PYTEST_ARGS)

# etcd, kube-apiserver and kube-controller-manager built from source into .tools/kube/ (once:
# minutes; then instant). The tests build them on first need; this builds them explicitly.
kube-tools:
	@bash scripts/build-kube.sh

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

# skaffold built from source into .tools/skaffold/ with the helm 3 it drives (once: about
# 10 minutes; then instant). tests/chart/test_skaffold.py builds them on first need.
.PHONY: skaffold
skaffold:
	@bash scripts/build-skaffold.sh

# Every locked package checked for known vulnerabilities by pip-audit (its own venv in
# .tools/pip-audit/); exceptions, each with its reason, in .pip-audit-ignore.
.PHONY: audit
audit: install
	@bash scripts/audit.sh

bench: install
	$(VENV)/python bench/webhook.py
	$(VENV)/python bench/pipeline.py
	$(VENV)/python bench/cards.py

clean:
	rm -rf .run .pytest_cache
