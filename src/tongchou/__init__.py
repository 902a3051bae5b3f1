"""Tongchou (统筹): core system for public medical insurance pooled at city level."""

__version__ = "0.1.0"
