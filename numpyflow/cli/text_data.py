"""The text corpora the character-level language model trains on, its vocabulary, the
held-out split and the batches.

A corpus is a list of documents (fortunes, words, help topics, or one file as a whole).
The documents are put in one fixed shuffled order, the same for every ``--seed``, so the
held-out tail (the last ``held_out`` share of the characters, cut at a document boundary
where there is one) samples every part of the corpus.  Training batches are windows of
``seq_len + 1`` contiguous characters; every epoch draws a random shift of the window grid
and a random order of the windows from a generator seeded with (seed, epoch), so the
batch of any step is a function of (seed, step) alone and a resumed run sees the same
batches as an uninterrupted one.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
from dataclasses import dataclass

import numpy as np

FORTUNES_DIR = "/usr/share/games/fortunes"
WORDS_FILE = "/usr/share/dict/american-english"
CORPUS_ORDER_SEED = 0  # the documents' order: fixed, so the held-out split never changes


def _clean(fortune: str) -> str:
    """A fortune as it reads on a terminal: overstruck characters (``_\\bA`` underlines A)
    as the one character shown, no bells, and the few texts encoded twice (UTF-8 read as
    Latin-1, so that ``\u2019`` shows as three characters) decoded once more."""
    fortune = re.sub("[^\n\t]\x08|\x07", "", fortune)
    if re.search("[\x80-\x9f]", fortune):
        try:
            fortune = fortune.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return fortune


def _fortunes() -> list[str]:
    if not os.path.isdir(FORTUNES_DIR):
        raise FileNotFoundError(
            f"the fortunes corpus is not installed (no {FORTUNES_DIR}): on Debian or Ubuntu, "
            "'sudo apt-get install fortunes'; or use --corpus python-docs, which every Python ships"
        )
    documents = []
    for name in sorted(os.listdir(FORTUNES_DIR)):
        path = os.path.join(FORTUNES_DIR, name)
        # The plain files; .dat are indexes, .u8 links to the plain files, off/ the offensive ones.
        if name.endswith((".dat", ".u8")) or os.path.islink(path) or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            documents += [_clean(d.strip("\n")) + "\n" for d in f.read().split("\n%\n") if d.strip()]
    if not documents:
        raise FileNotFoundError(f"no fortunes in {FORTUNES_DIR}: reinstall them with 'sudo apt-get install fortunes'")
    return documents


def _words() -> list[str]:
    if not os.path.isfile(WORDS_FILE):
        raise FileNotFoundError(
            f"the words corpus is not installed (no {WORDS_FILE}): on Debian or Ubuntu, "
            "'sudo apt-get install wamerican'; or use --corpus python-docs, which every Python ships"
        )
    with open(WORDS_FILE, encoding="utf-8", errors="replace") as f:
        return [w + "\n" for w in f.read().split("\n") if w]


def _python_docs() -> list[str]:
    try:
        topics = importlib.import_module("pydoc_data.topics").topics
    except ImportError:
        raise FileNotFoundError(
            "the python-docs corpus needs the standard library's pydoc_data package, which this Python "
            "lacks (some distributions split it off, e.g. Debian's libpython3-stdlib); use --data FILE"
        ) from None
    return [topics[key].strip("\n") + "\n\n" for key in sorted(topics)]


# name -> (what it is, reader of its documents, separator written after each document)
CORPORA = {
    "fortunes": ("fortune cookies from Debian's fortunes package", _fortunes, "%\n"),
    "words": ("Debian's wamerican word list, one word a line", _words, ""),
    "python-docs": ("Python's language reference, from the standard library's pydoc_data", _python_docs, ""),
}
DEFAULT_ORDER = ("fortunes", "words", "python-docs")


def available(name: str) -> bool:
    """Whether corpus ``name`` can be read on this machine."""
    if name == "fortunes":
        return os.path.isdir(FORTUNES_DIR)
    if name == "words":
        return os.path.isfile(WORDS_FILE)
    return importlib.util.find_spec("pydoc_data") is not None


def default_corpus() -> str:
    """The first of fortunes, words and python-docs installed here."""
    return next((name for name in DEFAULT_ORDER if available(name)), "python-docs")


@dataclass(frozen=True)
class Corpus:
    """A corpus's text split in two: ``train`` and the ``held_out`` tail."""

    name: str
    train: str
    held_out: str


def read_corpus(name: str | None, data: str | None = None, held_out: float = 0.05) -> Corpus:
    """Corpus ``name``, or the UTF-8 text file ``data`` when given, split into training
    text and its last ``held_out`` share (see the module's docstring)."""
    if data is not None:
        if not os.path.isfile(data):
            raise FileNotFoundError(f"--data: no file at {data}")
        try:
            with open(data, encoding="utf-8") as f:
                documents, separator, name = [f.read()], "", os.path.basename(data)
        except UnicodeDecodeError as e:
            raise ValueError(f"--data: {data} is not UTF-8 text ({e.reason} at byte {e.start})") from None
    else:
        _, reader, separator = CORPORA[name]
        documents = reader()
    order = np.random.default_rng(CORPUS_ORDER_SEED).permutation(len(documents))
    documents = [documents[i] + separator for i in order]
    text = "".join(documents)
    target = len(text) - int(round(held_out * len(text)))
    boundaries = np.cumsum([len(d) for d in documents])[:-1]
    cut = int(boundaries[np.abs(boundaries - target).argmin()]) if len(boundaries) and held_out > 0 else target
    return Corpus(name=name, train=text[:cut], held_out=text[cut:])


class Vocabulary:
    """The characters of a corpus, each an index (sorted by code point)."""

    def __init__(self, chars: str):
        self.chars = chars
        self.index = {c: i for i, c in enumerate(chars)}

    @classmethod
    def of(cls, text: str) -> Vocabulary:
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def unknown(self, text: str) -> list[str]:
        """The characters of ``text`` outside the vocabulary, in order of appearance."""
        return list(dict.fromkeys(c for c in text if c not in self.index))

    def encode(self, text: str) -> np.ndarray:
        """``text`` as int64 indices; a character outside the vocabulary is a KeyError."""
        return np.fromiter((self.index[c] for c in text), np.int64, len(text))

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def windows_per_epoch(n: int, seq_len: int) -> int:
    """How many windows of ``seq_len`` characters (and their next characters) an epoch cuts
    from ``n`` characters, whatever the epoch's shift."""
    return max((n - 1 - seq_len) // seq_len, 0)


def steps_per_epoch(n: int, seq_len: int, batch_size: int) -> int:
    return windows_per_epoch(n, seq_len) // batch_size


def train_batch(ids: np.ndarray, seq_len: int, batch_size: int, seed: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    """``(inputs, targets)`` of training step ``step``: ``batch_size`` windows of
    ``seq_len`` characters of ``ids`` and the characters that follow each one (int64
    arrays of shape (batch_size, seq_len))."""
    per_epoch = steps_per_epoch(len(ids), seq_len, batch_size)
    epoch, batch = divmod(step, per_epoch)
    rng = np.random.default_rng([seed, epoch])
    shift = int(rng.integers(seq_len))
    order = rng.permutation(windows_per_epoch(len(ids), seq_len))
    starts = shift + seq_len * order[batch * batch_size : (batch + 1) * batch_size]
    index = starts[:, None] + np.arange(seq_len + 1)
    chunk = ids[index]
    return chunk[:, :-1], chunk[:, 1:]


def held_out_batches(ids: np.ndarray, seq_len: int, batch_size: int, limit: int = 0):
    """The held-out text (its first ``limit`` characters when ``limit`` > 0) as consecutive
    windows of ``seq_len`` characters, in ``(inputs, targets)`` batches of up to
    ``batch_size`` windows."""
    if limit > 0:
        ids = ids[: limit + 1]
    count = (len(ids) - 1) // seq_len
    index = seq_len * np.arange(count)[:, None] + np.arange(seq_len + 1)
    for first in range(0, count, batch_size):
        chunk = ids[index[first : first + batch_size]]
        yield chunk[:, :-1], chunk[:, 1:]
