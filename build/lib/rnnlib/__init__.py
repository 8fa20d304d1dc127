"""rnnlib: the small numpy library that the book *Sequence Models for Natural Language
Processing* is built on.

Every piece a chapter teaches lives here once: data loading, tokenizers, n-gram models,
layers with forward/backward passes, losses, optimisers, checkers for the exercises.
"""

__version__ = "0.1.0"
