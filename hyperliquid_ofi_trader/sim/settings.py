"""Frozen settings of the emulated venue (`SimVenue`).

Defaults mirror the real venue's base tier (HYPERLIQUID.md sections 3-6): BTC and ETH
perps, tier 0 of the fee schedule (venues/hyperliquid/common/fees.py), $10 minimum order
value, 1200 IP weight per minute, 10,000 initial address requests, nonce window (now - 2
days, now + 1 day), 100 kept nonces, scheduleCancel at least 5 s ahead and at most 10
triggers a day.

Invalid settings are the operator's mistake, found once at start-up: `SimSettingsError`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Final

from hyperliquid_ofi_trader.errors import OurBugError
from hyperliquid_ofi_trader.venues.hyperliquid.common.fees import BASE_MAKER_FEE, BASE_TAKER_FEE

DAY_MS: Final = 86_400_000


class SimSettingsError(OurBugError, ValueError):
    """The emulator was configured with impossible values (operator error)."""


class CancelAttribution(enum.Enum):
    """Where the queue model assumes a level's cancelled size sat (see queue_model.py)."""

    PROPORTIONAL = "proportional"  # spread evenly through the queue: ahead shrinks pro rata
    BEHIND = "behind"  # all behind us: the most pessimistic for passive fills


@dataclass(frozen=True, slots=True)
class SimInstrument:
    """One perpetual as `meta.universe` lists it; its asset id is its index there."""

    name: str
    sz_decimals: int
    max_leverage: int

    def __post_init__(self) -> None:
        if not self.name:
            raise SimSettingsError("instrument name must not be empty")
        if not 0 <= self.sz_decimals <= 6:
            raise SimSettingsError(f"{self.name}: szDecimals must be in 0..6")
        if self.max_leverage < 1:
            raise SimSettingsError(f"{self.name}: maxLeverage must be >= 1")


DEFAULT_INSTRUMENTS: Final = (
    SimInstrument("BTC", 5, 40),
    SimInstrument("ETH", 4, 25),
)


@dataclass(frozen=True, slots=True)
class SimSettings:
    """Everything that makes the emulator behave like a particular venue configuration."""

    instruments: tuple[SimInstrument, ...] = DEFAULT_INSTRUMENTS
    mainnet: bool = False  # signatures use source "a" when True, testnet "b" by default
    initial_usdc: float = 100_000.0  # a funding's default amount (--fund, faucet, opt-in)
    # As on the venue, an address that never deposited does not exist: a signature that
    # recovers to it is refused with "User or API Wallet 0x... does not exist.". True opens
    # an account with `initial_usdc` for any signer (explicit opt-in, `--auto-fund`).
    auto_create_accounts: bool = False
    taker_fee: float = BASE_TAKER_FEE  # fractions of notional
    maker_fee: float = BASE_MAKER_FEE  # negative = rebate
    min_order_value: float = 10.0
    default_leverage: int = 20  # the venue's default for a new asset (capped at max)
    max_open_orders: int = 1000
    # nonces
    nonces_kept: int = 100
    nonce_past_ms: int = 2 * DAY_MS
    nonce_future_ms: int = DAY_MS
    # scheduleCancel (dead man's switch)
    schedule_cancel_min_lead_ms: int = 5_000
    schedule_cancel_max_triggers: int = 10
    schedule_cancel_min_volume: float = 0.0  # 1_000_000 reproduces the reported refusal
    # rate limits
    ip_weight_per_minute: int = 1200
    address_initial_requests: int = 10_000
    address_requests_per_usdc: float = 1.0
    address_exhausted_interval_ms: int = 10_000
    cancel_extra_requests: int = 100_000
    # queue model
    cancel_attribution: CancelAttribution = CancelAttribution.PROPORTIONAL
    # history kept for info queries
    max_fills_kept: int = 10_000
    max_orders_kept: int = 100_000
    agents: tuple[tuple[str, str], ...] = field(default=())  # (agent address, account)

    def __post_init__(self) -> None:
        self._check_instruments()
        self._check_numbers()

    def _check_instruments(self) -> None:
        if not self.instruments:
            raise SimSettingsError("at least one instrument is required")
        names = [i.name for i in self.instruments]
        if len(set(names)) != len(names):
            raise SimSettingsError(f"duplicate instrument names in {names}")

    def _check_numbers(self) -> None:
        positive = {
            "initial_usdc": self.initial_usdc, "min_order_value": self.min_order_value,
            "default_leverage": self.default_leverage, "max_open_orders": self.max_open_orders,
            "nonces_kept": self.nonces_kept, "nonce_past_ms": self.nonce_past_ms,
            "nonce_future_ms": self.nonce_future_ms,
            "ip_weight_per_minute": self.ip_weight_per_minute,
            "address_initial_requests": self.address_initial_requests,
            "address_exhausted_interval_ms": self.address_exhausted_interval_ms,
            "max_fills_kept": self.max_fills_kept, "max_orders_kept": self.max_orders_kept,
        }
        for name, value in positive.items():
            if not value > 0:
                raise SimSettingsError(f"{name} must be positive, got {value!r}")
        if not -0.01 < self.maker_fee < 0.01 or not 0 <= self.taker_fee < 0.01:
            raise SimSettingsError("fees must be fractions (0.00045 = 0.045%)")
        if self.maker_fee + self.taker_fee < 0:
            raise SimSettingsError("maker rebate larger than the taker fee mints money")
        if self.schedule_cancel_min_lead_ms < 0 or self.schedule_cancel_max_triggers < 0:
            raise SimSettingsError("scheduleCancel limits must not be negative")
        if self.schedule_cancel_min_volume < 0 or self.cancel_extra_requests < 0:
            raise SimSettingsError("volumes and extra requests must not be negative")
