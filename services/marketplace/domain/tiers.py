"""Membership tiers (会员权益): registered / silver / gold, their benefits and half-yearly rebate rates."""
from __future__ import annotations

from dataclasses import dataclass

TIERS = ("registered", "silver", "gold")

# Basis points of the half-year's paid sales credited back as rebate balance (可抵扣优惠金额).
REBATE_RATE_BP = {"registered": 0, "silver": 200, "gold": 400}


@dataclass(frozen=True)
class Benefit:
    category: str
    name: str
    registered: str
    silver: str
    gold: str

    def for_tier(self, tier: str) -> str:
        return getattr(self, tier)


BENEFITS: tuple[Benefit, ...] = (
    Benefit("cooperation", "annual partner ecosystem conference invitation", "full price", "2 free tickets, discount on others",
            "2 free tickets, discount on others"),
    Benefit("cooperation", "partner onboarding and operations support", "yes", "yes", "yes"),
    Benefit("cooperation", "listing on the marketplace", "yes", "yes", "yes"),
    Benefit("cooperation", "joint marketing campaigns", "", "once a year", "twice a year"),
    Benefit("cooperation", "official press releases and blog promotion", "", "yes", "yes"),
    Benefit("technical", "unlimited 5x8 pre-sales technical consulting", "yes", "yes", "yes"),
    Benefit("technical", "remote project technical consulting", "", "3 projects a month, 2 hours each",
            "6 projects a month, 2 hours each"),
    Benefit("technical", "solution trial account (1 month)", "", "yes", "yes"),
    Benefit("commercial", "half-yearly rebate on paid sales", "0%", "2%", "4%"),
)


def rebate_for(tier: str, paid_sales_minor: int) -> int:
    """The rebate credited for a half-year's paid sales, rounded down to the fen."""
    return paid_sales_minor * REBATE_RATE_BP[tier] // 10000


def benefits_table() -> list[dict[str, str]]:
    return [
        {"category": b.category, "name": b.name, "registered": b.registered, "silver": b.silver, "gold": b.gold}
        for b in BENEFITS
    ]
