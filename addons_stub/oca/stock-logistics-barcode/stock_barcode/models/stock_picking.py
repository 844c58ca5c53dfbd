from odoo import fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    x_stock_barcode_note = fields.Char()
