"""The command line: ``python -m numpyflow train`` and ``python -m numpyflow evaluate``."""
