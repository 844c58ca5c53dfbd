from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    x_contract_sale_note = fields.Char()
