from odoo import fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    x_quality_control_note = fields.Char()
