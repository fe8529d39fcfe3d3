"""What the sales API modules share: the ``Router`` (``core.api.PackageRouter``), the
error responses every endpoint documents, and the serialisers of product lines, payments and
invoices that opportunities, contracts and orders all answer with (OPP-12, CON-06, CON-07,
ORD-01, PROD-04)."""

from tidecrm.core.api import ErrorOut, PackageRouter

from .. import selectors

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


Router = PackageRouter  # keeps the operation ids the one-module API had


def _lines(**owner):
    return [
        {
            "id": line.pk,
            "product_id": line.product_id,
            "product_name": line.product_name,
            "unit": line.unit,
            "list_price": str(line.list_price),
            "unit_price": str(line.unit_price),
            "quantity": str(line.quantity),
            "discount": str(line.discount),
            "subtotal": str(line.subtotal),
        }
        for line in selectors.lines_of(**owner)
    ]


def _line_dicts(lines):
    return None if lines is None else [line.dict() for line in lines]


def _payment_out(payment):
    return {
        "id": payment.pk,
        "amount": str(payment.amount),
        "received_on": payment.received_on,
        "plan_id": payment.plan_id,
        "method": payment.method,
        "remark": payment.remark,
        "created_at": payment.created_at,
    }


def _invoice_out(invoice):
    return {
        "id": invoice.pk,
        "amount": str(invoice.amount),
        "type": invoice.type,
        "title": invoice.title,
        "tax_number": invoice.tax_number,
        "number": invoice.number,
        "issued_on": invoice.issued_on,
        "status": invoice.status,
    }
