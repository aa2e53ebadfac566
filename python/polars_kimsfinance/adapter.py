"""Configuration, engine selection and performance statistics."""

from __future__ import annotations
