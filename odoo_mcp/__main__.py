"""`python -m odoo_mcp` is the `odoo-mcp` command."""

import sys

from odoo_mcp.launch import main

sys.exit(main())
