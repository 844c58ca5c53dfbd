from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    x_sale_management_note = fields.Char()
