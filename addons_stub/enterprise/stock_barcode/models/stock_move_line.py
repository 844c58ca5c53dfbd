from odoo import fields, models


class StockMoveLine(models.Model):
    _inherit = "stock.move.line"

    x_stock_barcode_note = fields.Char()
