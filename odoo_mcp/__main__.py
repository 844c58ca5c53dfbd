"""`python -m odoo_mcp` is the `odoo-mcp` command."""

import sys

from odoo_mcp.cli import main

sys.exit(main())
