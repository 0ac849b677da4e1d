"""ceasefire_analysis: the performance-management cycle of a Ceasefire / GVI partnership."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ceasefire_analysis")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
