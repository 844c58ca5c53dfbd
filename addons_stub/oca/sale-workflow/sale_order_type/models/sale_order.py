from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    x_sale_order_type_note = fields.Char()
