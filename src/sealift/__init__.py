"""sealift: deliver multi-service applications into sites with no network."""

__version__ = "0.1.0"
