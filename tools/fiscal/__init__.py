"""Fiscal positions (upstream's five `odoo_fp_*` tools) on standard Odoo models, with the tax actions of
`l10n_bg_tax_admin` when that module is installed. Importing this package registers them."""

from tools.fiscal import positions

__all__ = ["positions"]
