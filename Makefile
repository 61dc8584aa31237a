# Vigil — every entry point. `make run` and `make test` install what they need first
# (rustup components and targets, bpf-linker, Debian packages), idempotently.

SHELL := /bin/bash
CARGO ?= cargo
VIGIL := target/release/vigil
BPF_LINKER_VERSION := 0.13.0
# The older kernel the end-to-end tests also run on (Debian 12's stock 6.1; see test-kernels).
GUEST_KERNEL ?= 6.1.0-57-amd64

.PHONY: all toolchain build signature-table extra-signatures python-signatures js-signatures sarif-schema run test unit e2e test-kernels bench lint fmt clean fuzz

all: build

# --- toolchain -------------------------------------------------------------------------------
toolchain:
	@./scripts/toolchain.sh $(BPF_LINKER_VERSION)

# --- build -----------------------------------------------------------------------------------
build: toolchain
	$(CARGO) build --release --locked

# The README's table of the default signatures, generated from their metadata
# (`vigil signatures list --markdown`); the e2e test signature_table fails while it differs.
signature-table: build
	@./scripts/signature-table.sh

# --- signatures in other languages ------------------------------------------------------------
# Not embedded in `vigil` (each is 10-20 MB: it carries its language's runtime): written to
# target/signatures-extra/ and loaded with `--signatures target/signatures-extra`.
# Python: one component per signatures-wasm/python/NAME/app.py (componentize-py).
# JavaScript: one per signatures-wasm/javascript/NAME/signature.js (componentize-js).
COMPONENTIZE_PY_VERSION := 0.25.1
COMPONENTIZE_JS_VERSION := 0.23.0
EXTRA_SIGNATURES := target/signatures-extra
PYTHON_SIGNATURES := $(patsubst signatures-wasm/python/%/app.py,$(EXTRA_SIGNATURES)/%.wasm,\
	$(wildcard signatures-wasm/python/*/app.py))
JS_SIGNATURES := $(patsubst signatures-wasm/javascript/%/signature.js,$(EXTRA_SIGNATURES)/%.wasm,\
	$(wildcard signatures-wasm/javascript/*/signature.js))

extra-signatures: python-signatures js-signatures
python-signatures: $(PYTHON_SIGNATURES)
js-signatures: $(JS_SIGNATURES)

$(JS_SIGNATURES): $(EXTRA_SIGNATURES)/%.wasm: signatures-wasm/javascript/%/signature.js \
		wit/signature.wit scripts/componentize-js.sh
	@./scripts/componentize-js.sh $(COMPONENTIZE_JS_VERSION) $< $@

.SECONDEXPANSION:
$(PYTHON_SIGNATURES): $(EXTRA_SIGNATURES)/%.wasm: $$(wildcard signatures-wasm/python/$$*/*.py) \
		wit/signature.wit scripts/componentize-py.sh
	@./scripts/componentize-py.sh $(COMPONENTIZE_PY_VERSION) signatures-wasm/python/$* $@

# --- demo ------------------------------------------------------------------------------------
# The seed scenario: the demo app runs clean, then its malicious variant opens a reverse shell
# to a loopback listener and Vigil fails it.
run: build
	@echo "== 1/2: the honest build: vigil run -- python3 demo/app.py"
	$(VIGIL) run -- python3 demo/app.py
	@echo
	@echo "== 2/2: the same app with a reverse shell: vigil run -- python3 demo/app.py --attack"
	@status=0; $(VIGIL) run --findings target/demo-findings.jsonl -- python3 demo/app.py --attack || status=$$?; \
	if [ $$status -eq 86 ]; then \
		echo "== caught: vigil exited 86 (finding); JSON Lines in target/demo-findings.jsonl"; \
	else \
		echo "== NOT caught: vigil exited $$status, expected 86"; exit 1; \
	fi

# --- tests -----------------------------------------------------------------------------------
test: build lint unit e2e test-kernels

unit:
	$(CARGO) test --release --locked --workspace --exclude vigil-ebpf --lib --bins

# The published SARIF 2.1.0 schema the tests validate Vigil's SARIF against (from the npm
# registry, digest-checked; see the script).
SARIF_SCHEMA := target/sarif/sarif-schema-2.1.0.json
sarif-schema:
	@./scripts/sarif-schema.sh $(SARIF_SCHEMA)

# End-to-end: real eBPF programs in this kernel, real attacks against loopback listeners.
# Then the GitHub Action (action.yml) under a simulated runner, with the vigil just built.
e2e: extra-signatures sarif-schema
	$(CARGO) test --release --locked -p vigil --test e2e
	node --test action/test/*.test.js

# Kernel matrix: the same end-to-end test binary, run as root inside Debian 12's 6.1 kernel
# under qemu (software emulation), with this machine's / as the guest's read-only root.
# Kernel, modules and initramfs are cached in target/kernels/. Fails if the guest cannot boot.
test-kernels: build extra-signatures sarif-schema
	@./tests/kernels/run.sh $(GUEST_KERNEL)

# --- bench -----------------------------------------------------------------------------------
# Startup (cold/warm compile cache), dispatch rate, and capture overhead (exec, open/close and
# write storms and a C build, bare vs `vigil run`), as tables in target/bench/results.md and
# JSON in target/bench/capture.json. BENCH_RUNS (5) repetitions of each; about 4 minutes.
bench: build
	@./scripts/bench.sh

# --- fuzzing ---------------------------------------------------------------------------------
# The record-file reader (framing, bincode, wire decoding, enrichment from recorded /proc
# answers) and the ring-buffer record decoder, under libFuzzer for FUZZ_SECONDS each. The
# record_file corpus is seeded with a real recording when run as root.
FUZZ_SECONDS ?= 60
fuzz: build
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	@mkdir -p fuzz/corpus/record_file fuzz/corpus/wire_record
	@$(VIGIL) record -o fuzz/corpus/record_file/seed.rec -- sh -c 'cd /tmp && ls >/dev/null' 2>/dev/null \
		|| echo "fuzz: no seed recording (needs root); starting from an empty corpus"
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run record_file -- -max_total_time=$(FUZZ_SECONDS)
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run wire_record -- -max_total_time=$(FUZZ_SECONDS)

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --release --locked --all-targets -- -D warnings
	@# The fuzz targets compile host modules from their sources, outside the workspace: a
	@# module they do not list would otherwise go unnoticed until someone fuzzes.
	cd fuzz && $(CARGO) check --locked --quiet --target-dir ../target/fuzz-check

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
