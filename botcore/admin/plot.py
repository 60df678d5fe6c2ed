"""`botctl stats --plot`: a PNG of messages per day and replies per skill (matplotlib, Agg)."""

from __future__ import annotations

from pathlib import Path

from botcore.admin.stats import Stats
from botcore.errors import ConfigError


def plot_stats(stats: Stats, path: Path) -> Path:
    """Write the chart to ``path``.

    Raises:
        ConfigError: matplotlib is not installed (it comes with ``pip install botcore[worker]``).
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ConfigError("--plot needs matplotlib: pip install 'botcore[worker]' "
                          "(or pip install matplotlib)") from exc
    fig, (ax_days, ax_skills) = plt.subplots(1, 2, figsize=(11, 4),
                                             gridspec_kw={"width_ratios": [2, 1]})
    try:
        days = [d.day[5:] for d in stats.per_day]
        xs = range(len(days))
        ax_days.bar([x - 0.2 for x in xs], [d.incoming for d in stats.per_day], 0.4,
                    label="incoming")
        ax_days.bar([x + 0.2 for x in xs], [d.replies for d in stats.per_day], 0.4,
                    label="replies")
        ax_days.set_xticks(list(xs), days, rotation=45 if len(days) > 10 else 0)
        ax_days.set_title("messages per day (UTC)")
        ax_days.legend()
        skills = list(stats.per_skill)
        ax_skills.barh(skills, [stats.per_skill[k] for k in skills])
        ax_skills.set_title("replies per skill")
        lat = ("" if stats.latency_p50_ms is None else
               f"   latency p50 {stats.latency_p50_ms:.0f} ms, p95 {stats.latency_p95_ms:.0f} ms")
        fig.suptitle(f"botcore since {stats.since or 'the start'}: {stats.active_users} active "
                     f"users{lat}")
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
    return path
