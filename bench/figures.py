"""Shared by the bench reports: a figure over rounds as its median (range)."""
import statistics


def fmt(values):
    values = [v for v in values if v == v]  # NaN (no figure) drops out
    if not values:
        return "—"
    med = statistics.median(values)
    return f"{med:,.2f} ({min(values):,.2f}–{max(values):,.2f})" if len(values) > 1 else f"{med:,.2f}"
