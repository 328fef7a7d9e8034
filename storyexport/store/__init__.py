"""A shared content-addressed store and action cache, so machines and CI runners that start from a fresh checkout
reuse each other's work instead of redoing it.

``settings`` reads the store's URL, read-only mode and shard from the environment (``storyexport build --store``
and doit's ``run`` plugin set them); ``cas`` keeps files by SHA-256 on any fsspec URL; ``action_cache`` maps a
task's exact inputs to the digests of its outputs; ``remote`` runs a task against both, locally or on a worker
that sees no project folder. See docs/store.md.
"""
