from odoo import fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    x_sale_automatic_workflow_note = fields.Char()
