"""storyexport: declarative, incremental export of vertical story videos.

Data flows one way: manifest -> validated config (``config``) -> task graph (``build``) -> media (``media``)
-> metadata (``metadata``) -> registry and analytics (``registry``) -> report (``report``).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
