from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    x_sale_automatic_workflow_note = fields.Char()
