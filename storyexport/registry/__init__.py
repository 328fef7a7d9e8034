"""Export registry and analytics: a SQLite store of exports, publish status, performance history and build events.

``ExportRegistry`` keeps the original guide's API; ``export_registry.json`` beside the database is a snapshot in its
format, rewritten after every change. The build calls ``sync_registry`` (registry task) and
``ExportRegistry.record_event``.
"""

from storyexport.registry.errors import RegistryError, UnknownStoryError
from storyexport.registry.registry import ExportRegistry
from storyexport.registry.sync import registry_path, sync_registry

__all__ = ["ExportRegistry", "RegistryError", "UnknownStoryError", "registry_path", "sync_registry"]
