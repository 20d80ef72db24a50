# The two commands: `make test` and `make demo`. Both set up .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: test lint demo demo-text bench docs clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# What `make demo` needs: the library and matplotlib (for curves.png).
$(VENV)/.train: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[train]'
	touch $@

# What `make test` needs besides: pytest, hypothesis and PyTorch CPU as the reference.
$(VENV)/.test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test,train]'
	touch $@

# What `make docs` needs: MkDocs with the Material theme and mkdocstrings.
$(VENV)/.docs: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[docs]'
	touch $@

test: $(VENV)/.test lint
	$(PY) -m pytest

# Style: the rules in pyproject.toml ([tool.ruff]); `ruff format` fixes the formatting.
lint: $(VENV)/.test
	$(VENV)/bin/ruff check numpyflow tests benchmarks examples $(wildcard docs/*.py)
	$(VENV)/bin/ruff format --check numpyflow tests benchmarks examples $(wildcard docs/*.py)

# The main job: a CIFAR ResNet-20 trained on the embedded 8x8 digits (a few minutes on 2 cores),
# then its evaluation. Writes runs/digits-demo/{best.pt,last.pt,metrics.csv,curves.png}.
demo: $(VENV)/.train
	$(PY) -m numpyflow train --model resnet20 --dataset digits --epochs 12 --batch-size 64 --lr 0.1 \
		--augment --seed 0 --out runs/digits-demo
	$(PY) -m numpyflow evaluate --checkpoint runs/digits-demo/best.pt

# A character-level LSTM language model (about 2 minutes on 2 cores; at most 2.5), then text
# sampled from it. Trains on Debian's fortunes where installed, else the word list, else
# Python's own documentation. Writes runs/text-demo/{best.pt,last.pt,metrics.csv,curves.png}.
demo-text: $(VENV)/.train
	$(PY) -m numpyflow train-text --model lstm --steps 1400 --time-limit 2.5 --eval-every 200 --seed 0 \
		--out runs/text-demo
	$(PY) -m numpyflow sample --checkpoint runs/text-demo/best.pt --length 600 --temperature 0.8 --top-k 20 --seed 0

bench: $(VENV)/.test
	$(PY) -m benchmarks.resnet_step
	$(PY) -m benchmarks.resnet_infer
	$(PY) -m benchmarks.threads
	$(PY) -m benchmarks.conv_gemm
	$(PY) -m benchmarks.ops
	$(PY) -m benchmarks.autograd_overhead
	$(PY) -m benchmarks.lstm_step
	$(PY) -m benchmarks.transformer_step

# The documentation site (mkdocs.yml, docs/): tutorials and the API reference from the
# docstrings, into site/ (open site/index.html). The graph pictures are committed SVGs;
# `python docs/make_pictures.py` redraws them (needs graphviz).
docs: $(VENV)/.docs
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

clean:
	rm -rf $(VENV) site .pytest_cache .hypothesis *.egg-info
