from django.apps import AppConfig


class BillingCodesConfig(AppConfig):
    name = "billing_codes"
    verbose_name = "Billing codes"
