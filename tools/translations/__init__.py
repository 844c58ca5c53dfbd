"""Translations family: list translatable fields, read and write translations across Odoo versions."""

from tools.translations import tools

__all__ = ["tools"]
