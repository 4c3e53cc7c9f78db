from django.core.management.base import BaseCommand, CommandError

from billing_codes.services import load_builtin_codes, load_codes


class Command(BaseCommand):
    help = "Load the built-in ABA codes and modifiers (idempotent), and optionally a CSV of more."

    def add_arguments(self, parser):
        parser.add_argument("--csv", help="a CSV of further codes (columns as in data/codes.csv)")

    def handle(self, *args, **options):
        report = load_builtin_codes()
        self.stdout.write(f"built-in codes: {report.summary()}")
        path = options.get("csv")
        if not path:
            return
        try:
            with open(path, newline="", encoding="utf-8") as fh:
                report = load_codes(stream=fh)
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        self.stdout.write(f"{path}: {report.summary()}")
        for line, reason in report.rejected:
            self.stderr.write(f"  line {line}: {reason}")
