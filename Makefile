# orch — the everyday commands. `make demo` runs an example end to end; `make test` is what CI runs.
NPM ?= npm
DEMO_DB ?= .orch/demo.db

.PHONY: setup build install demo test lint schemas screenshot bench bench-smoke crash-test clean

# `npm install`, not `npm ci`: npm 11 leaves other platforms' optional packages
# (Biome's binaries) out of the lock file, and `npm ci` then refuses it.
node_modules/.package-lock.json: package.json package-lock.json
	$(NPM) install --no-audit --no-fund

setup: node_modules/.package-lock.json

build: setup
	$(NPM) run build

schemas: build
	node dist/scripts/generate-schemas.js schemas

# `orch` on the PATH: npm's global bin (`npm prefix -g`; set npm_config_prefix to
# install elsewhere). The package is linked, not copied: a rebuild here is what runs.
install: build
	$(NPM) install --global --ignore-scripts --no-audit --no-fund .
	@echo "installed: $$(command -v orch || echo "$$($(NPM) prefix -g)/bin/orch (add $$($(NPM) prefix -g)/bin to PATH)")"

# The daemon's page showing a run (docs/daemon-run.png), taken in headless Chromium
# (Debian's `chromium` package).
screenshot: build
	node dist/scripts/screenshot.js docs/daemon-run.png

ORCH := node dist/cli/orch.js

# The main job: run the random-map example and draw its graph.
demo: build
	@echo "== 1/5 check the workflow and its promises: orch validate fixtures/map/workflow.json"
	@$(ORCH) validate fixtures/map/workflow.json
	@echo "== 2/5 draw every graph the run could become: orch graph fixtures/map/workflow.json --out map-before.svg"
	@$(ORCH) graph fixtures/map/workflow.json --out map-before.svg
	@echo "== 3/5 run it (A adds a random number of M nodes): orch start fixtures/map/workflow.json"
	@$(ORCH) start fixtures/map/workflow.json --db $(DEMO_DB)
	@echo "== 4/5 what happened: orch status"
	@$(ORCH) status --db $(DEMO_DB)
	@echo "== 5/5 draw what the run became: orch graph --out map-run.svg"
	@$(ORCH) graph --db $(DEMO_DB) --out map-run.svg
	@echo "wrote map-before.svg (every graph the run could become) and map-run.svg (what it became)"

lint: build
	npx biome check .
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p src/web/tsconfig.json --noEmit

test: build lint
	python3 -m unittest discover -s tasks-py/tests
	npx vitest run

clean:
	rm -rf dist .orch *.svg

# Benchmarks against baselines measured in the same run; see bench/README.md.
# `bench` takes ~2 hours on 2 cores (compare.mjs ~90 minutes of it), `bench-smoke` (small sizes, for CI) a few minutes.
bench: build
	node bench/run.mjs
	node bench/compare.mjs

bench-smoke: build
	node bench/run.mjs --smoke
	node bench/compare.mjs --smoke

# The crash test at full strength: 200 runs of start, SIGKILL at a random moment, resume
# (itself killed up to 3 times), resume to the end, then checks on the database (~8 minutes
# on 2 cores). `npx vitest run test/reliability` runs 24 of them. See docs/reliability.md.
crash-test: build
	CRASH_RUNS=200 npx vitest run test/reliability/crash.test.ts
