"""symbols.yaml: the instruments, the lead-lag pair, what is traded, the l2Book options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Self

from pydantic import AfterValidator, Field, Strict, WrapSerializer, field_validator, model_validator

from hyperliquid_ofi_trader.config.base import (
    LEAD_LAG_MAX_WINDOW_MS,
    CoinName,
    FrozenModel,
    dump_mapping,
    freeze_mapping,
)
from hyperliquid_ofi_trader.config.rules import Violation, raise_if_any


class CoinSpec(FrozenModel):
    """Static instrument facts, as in the venue's `meta` universe entry."""

    sz_decimals: int = Field(
        ge=0,
        le=6,
        description="Size decimals (meta.universe[].szDecimals): sizes round to this many "
        "decimals and prices may carry at most 6 - sz_decimals decimals.",
    )
    max_leverage: int = Field(
        ge=1, le=100, description="Venue maximum leverage (meta.universe[].maxLeverage)."
    )


CoinMap = Annotated[
    Mapping[CoinName, CoinSpec], AfterValidator(freeze_mapping), WrapSerializer(dump_mapping)
]


class LeadLagPair(FrozenModel):
    """Which coin leads, which lags, and the window in which the lag is looked for."""

    lead: CoinName = Field(description="Coin whose moves are expected to come first (BTC).")
    lag: CoinName = Field(description="Coin expected to follow (ETH); must differ from lead.")
    window_ms: int = Field(
        description="Window on exchange time in which a lead move may show in the lag coin; "
        f"must be > 0 and < {LEAD_LAG_MAX_WINDOW_MS} ms.",
    )

    @field_validator("window_ms")
    @classmethod
    def _window_in_range(cls, value: int) -> int:
        if not 0 < value < LEAD_LAG_MAX_WINDOW_MS:
            raise ValueError(
                f"must be > 0 and < {LEAD_LAG_MAX_WINDOW_MS} ms "
                "(lead-lag is a sub-300 ms effect; longer windows measure co-movement)"
            )
        return value

    @model_validator(mode="after")
    def _distinct_coins(self) -> Self:
        if self.lead == self.lag:
            raise_if_any(
                [
                    Violation(
                        ((("lead",), self.lead), (("lag",), self.lag)),
                        "lead and lag must be two different coins",
                    )
                ]
            )
        return self


class BookSubscription(FrozenModel):
    """Options of the `l2Book` subscription."""

    fast: bool = Field(
        description="Subscribe with `fast: true`: 5 levels per side at about 0.5 s instead "
        "of 20 levels every few seconds."
    )
    n_sig_figs: int | None = Field(
        ge=2,
        le=5,
        description="Price aggregation (nSigFigs, 2-5); null = full precision (no aggregation).",
    )


class SymbolsConfig(FrozenModel):
    """symbols.yaml: the instruments, the lead-lag pair, what is traded, book options."""

    coins: CoinMap = Field(min_length=1, description="Every coin the system subscribes to.")
    lead_lag: LeadLagPair = Field(description="The lead-lag pair and its window.")
    traded: Annotated[tuple[CoinName, ...], Strict(False)] = Field(
        min_length=1, description="Coins the system may place orders in (each listed in coins)."
    )
    book: BookSubscription = Field(description="l2Book subscription options.")

    @model_validator(mode="after")
    def _coins_are_listed(self) -> Self:
        raise_if_any(self._violations())
        return self

    def _violations(self) -> list[Violation]:
        listed = ", ".join(self.coins)
        found = [
            Violation(((("lead_lag", role), coin),), f"not listed in coins ({listed})")
            for role, coin in (("lead", self.lead_lag.lead), ("lag", self.lead_lag.lag))
            if coin not in self.coins
        ]
        found += [
            Violation(((("traded", i), coin),), f"not listed in coins ({listed})")
            for i, coin in enumerate(self.traded)
            if coin not in self.coins
        ]
        if len(set(self.traded)) != len(self.traded):
            found.append(Violation(((("traded",), list(self.traded)),), "lists a coin twice"))
        return found
