from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    x_contract_note = fields.Char()
