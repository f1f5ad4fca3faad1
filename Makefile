# orch — the everyday commands. `make demo` runs an example end to end; `make test` is what CI runs.
NPM ?= npm
DEMO_DB ?= .orch/demo.db

.PHONY: setup build demo test lint schemas screenshot bench bench-smoke crash-test clean

# `npm install`, not `npm ci`: npm 11 leaves other platforms' optional packages
# (Biome's binaries) out of the lock file, and `npm ci` then refuses it.
node_modules/.package-lock.json: package.json package-lock.json
	$(NPM) install --no-audit --no-fund

setup: node_modules/.package-lock.json

build: setup
	$(NPM) run build

schemas: build
	node dist/scripts/generate-schemas.js schemas

# The daemon's page showing a run (docs/daemon-run.png), taken in headless Chromium
# (Debian's `chromium` package).
screenshot: build
	node dist/scripts/screenshot.js docs/daemon-run.png

# The main job: run the random-map example and draw its graph.
demo: build
	npx orch validate fixtures/map/workflow.json
	npx orch graph fixtures/map/workflow.json --out map-before.svg
	npx orch start fixtures/map/workflow.json --db $(DEMO_DB)
	npx orch status --db $(DEMO_DB)
	npx orch graph --db $(DEMO_DB) --out map-run.svg
	@echo "open map-before.svg (every graph the run could become) and map-run.svg (what it became)"

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
# `bench` takes ~35 minutes on 2 cores, `bench-smoke` (small sizes, for CI) under a minute.
bench: build
	node bench/run.mjs

bench-smoke: build
	node bench/run.mjs --smoke

# The crash test at full strength: 200 runs of start, SIGKILL at a random moment, resume
# (itself killed up to 3 times), resume to the end, then checks on the database (~8 minutes
# on 2 cores). `npx vitest run test/reliability` runs 24 of them. See docs/reliability.md.
crash-test: build
	CRASH_RUNS=200 npx vitest run test/reliability/crash.test.ts
