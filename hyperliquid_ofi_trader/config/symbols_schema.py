"""symbols.yaml: the instruments, the lead-lag pairs, what is traded, the l2Book options.

`lead_lag` is a list of pairs; the one-pair mapping of earlier files (`lead_lag: {lead: BTC,
lag: ETH, window_ms: 250}`) still loads as a list of that one pair."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Self

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
    """symbols.yaml: the instruments, the lead-lag pairs, what is traded, book options."""

    coins: CoinMap = Field(min_length=1, description="Every coin the system subscribes to.")
    lead_lag: Annotated[tuple[LeadLagPair, ...], Strict(False)] = Field(
        description="The lead-lag pairs, each with its window: a list of {lead, lag, "
        "window_ms} (a lag coin follows one lead); [] for none. The one-pair mapping of "
        "earlier files is read as a list of that pair.")
    traded: Annotated[tuple[CoinName, ...], Strict(False)] = Field(
        min_length=1, description="Coins the system may place orders in (each listed in coins)."
    )
    book: BookSubscription = Field(description="l2Book subscription options.")

    @field_validator("lead_lag", mode="before")
    @classmethod
    def _one_pair_as_list(cls, value: Any) -> Any:
        # Earlier files held one pair as a mapping: it is a list of that one pair.
        return [value] if isinstance(value, Mapping) else value

    @model_validator(mode="after")
    def _coins_are_listed(self) -> Self:
        raise_if_any(self._violations())
        return self

    @property
    def lead_coins(self) -> tuple[str, ...]:
        """Every lead coin of the pairs, once each, in pair order."""
        return tuple(dict.fromkeys(pair.lead for pair in self.lead_lag))

    def pair_of(self, coin: str) -> LeadLagPair | None:
        """The pair in which `coin` is the lag coin, or the first pair, or None (no pairs)."""
        own = [pair for pair in self.lead_lag if pair.lag == coin]
        return own[0] if own else next(iter(self.lead_lag), None)

    def _violations(self) -> list[Violation]:
        listed = ", ".join(self.coins)
        found = [
            Violation(((("lead_lag", i, role), coin),), f"not listed in coins ({listed})")
            for i, pair in enumerate(self.lead_lag)
            for role, coin in (("lead", pair.lead), ("lag", pair.lag))
            if coin not in self.coins
        ]
        lags = [pair.lag for pair in self.lead_lag]
        found += [
            Violation(((("lead_lag", i, "lag"), lag),),
                      "a lag coin follows one lead: it is already the lag of an earlier pair")
            for i, lag in enumerate(lags)
            if lag in lags[:i]
        ]
        found += [
            Violation(((("traded", i), coin),), f"not listed in coins ({listed})")
            for i, coin in enumerate(self.traded)
            if coin not in self.coins
        ]
        if len(set(self.traded)) != len(self.traded):
            found.append(Violation(((("traded",), list(self.traded)),), "lists a coin twice"))
        return found
