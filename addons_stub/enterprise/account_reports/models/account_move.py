from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    x_account_reports_note = fields.Char()
