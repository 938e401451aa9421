"""Shequ (社区): smart-community governance and service platform."""

__version__ = "0.1.0"
