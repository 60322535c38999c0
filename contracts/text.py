"""How numbers, durations and long texts read for people (events, the CLI, the Web UI)."""

from datetime import timedelta

ELLIPSIS = "…"


def clip(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters with an ellipsis when it was longer."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + ELLIPSIS


def duration_text(duration: timedelta | float) -> str:
    """`16 s`, `2 min 5 s`, `3 h 20 min`, `2 d 4 h`: whole units, no microseconds."""
    seconds = round(duration.total_seconds() if isinstance(duration, timedelta) else duration)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def usd(amount: float) -> str:
    """A cost in dollars without scientific notation: `$0.0000135`, `$2.50`."""
    if amount == 0:
        return "$0"
    if abs(amount) >= 0.01:
        return f"${amount:,.2f}"
    return "$" + f"{amount:.10f}".rstrip("0")


def number(value: float) -> str:
    """A count or limit without scientific notation: `20000`, `2.5`."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", "")
    return f"{value:.6f}".rstrip("0").rstrip(".")
