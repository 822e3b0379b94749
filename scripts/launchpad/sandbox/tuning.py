"""SageMaker automatic model tuning's search strategies and request checks, pure (numpy and scipy only).

AWS (SageMaker Developer Guide, "How Hyperparameter Tuning Works", "Define Hyperparameter Ranges", "Stop
Training Jobs Early"; SageMaker API Reference ``HyperParameterTuningJobConfig``, ``ParameterRanges``,
``IntegerParameterRange``, ``ContinuousParameterRange``, ``CategoricalParameterRange``, ``ResourceLimits``):

- **Grid** chooses every combination of the Categorical ranges' values ("Only categorical parameters are
  supported when using the grid search strategy"); ``MaxNumberOfTrainingJobs`` may be left out (it is the
  number of combinations), and if given must equal it.
- **Random** chooses each training job's values at random within the ranges, independently of earlier
  results, on each range's scale.
- **Bayesian** treats tuning as a regression problem: it fits a surrogate model to the results so far and
  chooses the next values where the expected improvement is the highest (a Gaussian process with a Matern
  5/2 kernel whose length scale is fitted by marginal likelihood; a few random jobs first; jobs still running
  are given the surrogate's mean, so parallel jobs do not repeat each other). Seeded by the job's
  ``RandomSeed``, else by its name: the same job chooses the same values.
- **ScalingType**: ``Linear``; ``Logarithmic`` ("works only for ranges that have only values greater than
  0"); ``ReverseLogarithmic`` (Continuous only, "works only for ranges that are entirely within the range
  0<=x<1.0"); ``Auto`` lets the tuner choose: here Logarithmic for a positive range spanning at least two
  orders of magnitude, else Linear.
- **Early stopping** (``TrainingJobEarlyStoppingType: Auto``): after each epoch (each value of the objective
  metric a job reports), the job is stopped when its objective is worse than the median of the running
  averages of the objective of the training jobs that completed before, up to the same epoch
  (``MIN_COMPLETED`` of them at least).

The request checks (``check_config``) raise ``TuningError`` with AWS's messages: no ranges, a range without
values or with an unreadable bound, MinValue greater than MaxValue, Logarithmic scaling of a range reaching
0 or below, ReverseLogarithmic outside [0, 1) or on an Integer range, a hyperparameter named twice or both
static and tuned, more than 30 tuned hyperparameters (or 100 in all), Grid with Integer or Continuous
ranges or a MaxNumberOfTrainingJobs other than the number of combinations, fewer combinations than
MaxNumberOfTrainingJobs, a missing MaxNumberOfTrainingJobs, an objective metric that is not among the
algorithm's MetricDefinitions.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.stats import norm

INTEGER, CONTINUOUS, CATEGORICAL = "Integer", "Continuous", "Categorical"
GRID, RANDOM, BAYESIAN, HYPERBAND = "Grid", "Random", "Bayesian", "Hyperband"
AUTO, LINEAR, LOG, REVERSE_LOG = "Auto", "Linear", "Logarithmic", "ReverseLogarithmic"
MAX_RANGES = 30  # ParameterRanges: "the sum of the number of hyperparameters for all the ranges" (API model)
MAX_HYPERPARAMETERS = 100  # static + tunable ("Define Hyperparameter Ranges")
MIN_COMPLETED = 1  # completed jobs the early-stopping rule needs before it stops anything
_AUTO_LOG_SPAN = 100.0  # Auto picks Logarithmic for a positive range whose MaxValue/MinValue reaches this
_KEYS = (
    ("IntegerParameterRanges", INTEGER),
    ("ContinuousParameterRanges", CONTINUOUS),
    ("CategoricalParameterRanges", CATEGORICAL),
)


class TuningError(ValueError):
    """A tuning request AWS refuses; the message is its ValidationException's."""


# -- ranges ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Range:
    """One tuned hyperparameter: a numeric interval on a scale, or categorical values."""

    name: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    scaling: str = AUTO
    values: tuple[str, ...] = ()

    @property
    def scale(self) -> str:
        """The scale searched on (``Auto`` resolved)."""
        if self.scaling != AUTO:
            return self.scaling
        if self.low > 0 and self.high / self.low >= _AUTO_LOG_SPAN:
            return LOG
        return LINEAR

    def _warp(self, x: float) -> float:
        if self.scale == LOG:
            return math.log(x)
        if self.scale == REVERSE_LOG:
            return -math.log(1.0 - x)
        return x

    def _unwarp(self, t: float) -> float:
        if self.scale == LOG:
            return math.exp(t)
        if self.scale == REVERSE_LOG:
            return 1.0 - math.exp(-t)
        return t

    def to_unit(self, value: str) -> float:
        """A numeric value's place in [0, 1] on the range's scale."""
        lo, hi = self._warp(self.low), self._warp(self.high)
        if hi == lo:
            return 0.5
        return min(1.0, max(0.0, (self._warp(float(value)) - lo) / (hi - lo)))

    def from_unit(self, u: float) -> str:
        """The hyperparameter value (as the string the training job gets) at ``u`` in [0, 1]."""
        u = min(1.0, max(0.0, float(u)))
        lo, hi = self._warp(self.low), self._warp(self.high)
        x = self.low if u == 0.0 else self.high if u == 1.0 else self._unwarp(lo + u * (hi - lo))
        if self.kind == INTEGER:
            return str(int(min(self.high, max(self.low, round(x)))))
        return repr(float(min(self.high, max(self.low, x))))

    @property
    def count(self) -> int | None:
        """How many distinct values the range has (None: continuous)."""
        if self.kind == CATEGORICAL:
            return len(self.values)
        if self.kind == INTEGER:
            return int(self.high) - int(self.low) + 1
        return None


def _number(value: Any, name: str, which: str) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or str(value).strip() == "":
        raise TuningError(
            f"The {which} '{value}' of hyperparameter '{name}' is not a number. Specify a numeric {which}."
        )
    return number


def parse_ranges(parameter_ranges: Mapping[str, Any] | None) -> list[Range]:
    """The ranges of a ``ParameterRanges``, checked as AWS does (``TuningError`` with its message)."""
    ranges: list[Range] = []
    for key, kind in _KEYS:
        for item in (parameter_ranges or {}).get(key) or []:
            name = str(item.get("Name") or "")
            if not name:
                raise TuningError(f"A hyperparameter range in {key} has no Name. Specify a Name.")
            if kind == CATEGORICAL:
                values = tuple(str(v) for v in item.get("Values") or [])
                if not values:
                    raise TuningError(
                        f"The categorical hyperparameter '{name}' has no values. Specify at least one value "
                        "in Values."
                    )
                if len(set(values)) != len(values):
                    raise TuningError(f"The categorical hyperparameter '{name}' has duplicate values.")
                ranges.append(Range(name, kind, values=values))
                continue
            low = _number(item.get("MinValue"), name, "MinValue")
            high = _number(item.get("MaxValue"), name, "MaxValue")
            scaling = str(item.get("ScalingType") or AUTO)
            if kind == INTEGER and (low != int(low) or high != int(high)):
                raise TuningError(
                    f"The MinValue and MaxValue of the integer hyperparameter '{name}' must be integers: "
                    f"[{item.get('MinValue')}, {item.get('MaxValue')}]."
                )
            if low > high:
                raise TuningError(
                    f"The MinValue ({item.get('MinValue')}) of hyperparameter '{name}' is greater than its "
                    f"MaxValue ({item.get('MaxValue')}). MinValue must be less than or equal to MaxValue."
                )
            if scaling == LOG and low <= 0:
                raise TuningError(
                    f"The hyperparameter '{name}' has ScalingType Logarithmic and MinValue "
                    f"{item.get('MinValue')}: logarithmic scaling works only for ranges that have only "
                    "values greater than 0."
                )
            if scaling == REVERSE_LOG and kind == INTEGER:
                raise TuningError(
                    f"The integer hyperparameter '{name}' has ScalingType ReverseLogarithmic: reverse "
                    "logarithmic scaling is supported only for continuous hyperparameters."
                )
            if scaling == REVERSE_LOG and not (low >= 0 and high < 1):
                raise TuningError(
                    f"The hyperparameter '{name}' has ScalingType ReverseLogarithmic and range "
                    f"[{item.get('MinValue')}, {item.get('MaxValue')}]: reverse logarithmic scaling works "
                    "only for ranges that are entirely within the range 0<=x<1.0."
                )
            ranges.append(Range(name, kind, low, high, scaling))
    names = [r.name for r in ranges]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise TuningError(f"The hyperparameters {twice} are specified in more than one range.")
    if len(ranges) > MAX_RANGES:
        raise TuningError(
            f"The hyperparameter tuning job searches {len(ranges)} hyperparameters: the sum of the number of "
            f"hyperparameters for all the ranges can't exceed {MAX_RANGES}."
        )
    return ranges


def combinations(ranges: Sequence[Range]) -> int | None:
    """The number of distinct combinations of the ranges' values (None when one is continuous)."""
    total = 1
    for r in ranges:
        count = r.count
        if count is None:
            return None
        total *= count
    return total


def check_config(
    config: Mapping[str, Any],
    static: Mapping[str, Any] | None = None,
    metric_names: Iterable[str] | None = None,
    algorithm: str = "",
) -> list[Range]:
    """A ``HyperParameterTuningJobConfig``'s checks for the Grid, Random and Bayesian strategies.

    ``static`` is the training job definition's StaticHyperParameters, ``metric_names`` the names of its
    algorithm's MetricDefinitions (None: not known, unchecked), ``algorithm`` its image, for messages.
    Returns the parsed ranges; raises ``TuningError``."""
    strategy = str(config.get("Strategy") or "")
    objective = config.get("HyperParameterTuningJobObjective") or {}
    metric = objective.get("MetricName")
    if not metric:
        raise TuningError(
            f"The {strategy} strategy requires a HyperParameterTuningJobObjective. Specify the objective "
            "metric and its type."
        )
    if metric_names is not None:
        known = list(metric_names)
        if metric not in known:
            raise TuningError(
                f"The objective metric for the hyperparameter tuning job, [{metric}], isn't valid for the "
                f"[{algorithm}] algorithm. Choose a valid objective metric: one of the MetricDefinitions "
                f"{known}."
            )
    ranges = parse_ranges(config.get("ParameterRanges"))
    if not ranges:
        raise TuningError(
            "The hyperparameter tuning job has no hyperparameter ranges. Specify at least one range in "
            "ParameterRanges."
        )
    both = sorted({r.name for r in ranges} & set(static or {}))
    if both:
        raise TuningError(
            f"The hyperparameters {both} are specified both as static hyperparameters and as ranges to "
            "tune. Specify each hyperparameter once."
        )
    if len(ranges) + len(static or {}) > MAX_HYPERPARAMETERS:
        raise TuningError(
            f"The tuning job has {len(ranges) + len(static or {})} hyperparameters (static and tunable): "
            f"it can have at most {MAX_HYPERPARAMETERS}."
        )
    limits = config.get("ResourceLimits") or {}
    jobs, parallel = limits.get("MaxNumberOfTrainingJobs"), limits.get("MaxParallelTrainingJobs")
    if parallel is None or int(parallel) < 1:
        raise TuningError("ResourceLimits.MaxParallelTrainingJobs must be at least 1.")
    if jobs is not None and int(jobs) < 1:
        raise TuningError("ResourceLimits.MaxNumberOfTrainingJobs must be at least 1.")
    total = combinations(ranges)
    if strategy == GRID:
        numeric = sorted(r.name for r in ranges if r.kind != CATEGORICAL)
        if numeric:
            raise TuningError(
                "Only categorical parameters are supported when using the grid search strategy: "
                f"{numeric} are Integer or Continuous ranges. Specify them as CategoricalParameterRanges."
            )
        if jobs is not None and int(jobs) != total:
            raise TuningError(
                f"When using the grid search strategy, MaxNumberOfTrainingJobs ({jobs}) must equal the total "
                f"number of distinct categorical combinations possible ({total}), or be left out."
            )
        return ranges
    if jobs is None:
        raise TuningError(
            f"ResourceLimits.MaxNumberOfTrainingJobs is required for the {strategy} strategy. Specify the "
            "maximum number of training jobs."
        )
    if total is not None and total < int(jobs):
        raise TuningError(
            "You don't have enough combinations of hyperparameter ranges. The total number of hyperparameter "
            f"combinations for the provided ranges [{float(total)}] must be equal or greater than the value "
            f"of MaxNumberOfJobs, [{int(jobs)}]. Provide additional ranges."
        )
    return ranges


def seed_of(name: str, random_seed: int | None = None) -> int:
    """The strategy's seed: the job's RandomSeed when given, else one made from its name."""
    if random_seed is not None:
        return int(random_seed)
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")


# -- strategies --------------------------------------------------------------------------------------------
Values = dict[str, str]


@dataclass
class Trial:
    """A training job's hyperparameters and its objective (None: running, or no objective)."""

    values: Values
    objective: float | None = None
    pending: bool = False


def _key(values: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(values.items()))


def grid_values(ranges: Sequence[Range], points: int = 5) -> list[Values]:
    """Every combination of the ranges' values, in order (the first range changing slowest).

    Categorical ranges give their values; an Integer range all its integers when it has at most ``points``
    of them, else ``points`` of them evenly spread on its scale; a Continuous range ``points`` values evenly
    spread on its scale (AWS's Grid takes Categorical ranges only; the others are for comparisons)."""
    axes: list[list[str]] = []
    for r in ranges:
        if r.kind == CATEGORICAL:
            axes.append(list(r.values))
        elif r.kind == INTEGER and (r.count or 0) <= points:
            axes.append([str(v) for v in range(int(r.low), int(r.high) + 1)])
        else:
            spread = [r.from_unit(u) for u in np.linspace(0.0, 1.0, points)]
            axes.append(list(dict.fromkeys(spread)))
    return [dict(zip([r.name for r in ranges], combo, strict=True)) for combo in itertools.product(*axes)]


class Strategy:
    """Chooses the hyperparameters of the next training jobs from the trials so far."""

    def __init__(self, ranges: Sequence[Range], seed: int, maximize: bool = True) -> None:
        self.ranges = list(ranges)
        self.rng = np.random.default_rng(seed)
        self.maximize = maximize

    def suggest(self, trials: Sequence[Trial]) -> Values | None:
        raise NotImplementedError

    def _random(self) -> Values:
        values: Values = {}
        for r in self.ranges:
            if r.kind == CATEGORICAL:
                values[r.name] = r.values[int(self.rng.integers(len(r.values)))]
            else:
                values[r.name] = r.from_unit(float(self.rng.random()))
        return values

    def _fresh_random(self, seen: set[tuple[tuple[str, str], ...]], tries: int = 200) -> Values:
        """A random choice not tried before when the space is discrete (else any)."""
        values = self._random()
        if combinations(self.ranges) is None:
            return values
        for _ in range(tries):
            if _key(values) not in seen:
                return values
            values = self._random()
        return values


class GridStrategy(Strategy):
    def __init__(
        self, ranges: Sequence[Range], seed: int = 0, maximize: bool = True, points: int = 5
    ) -> None:
        super().__init__(ranges, seed, maximize)
        self.grid = grid_values(ranges, points)

    def suggest(self, trials: Sequence[Trial]) -> Values | None:
        return self.grid[len(trials)] if len(trials) < len(self.grid) else None


class RandomStrategy(Strategy):
    def suggest(self, trials: Sequence[Trial]) -> Values | None:
        return self._fresh_random({_key(t.values) for t in trials})


def _encode(ranges: Sequence[Range], values: Mapping[str, str]) -> list[float]:
    row: list[float] = []
    for r in ranges:
        if r.kind == CATEGORICAL:
            row += [1.0 if values[r.name] == v else 0.0 for v in r.values]
        else:
            row.append(r.to_unit(values[r.name]))
    return row


def _matern52(a: np.ndarray, b: np.ndarray, length: float) -> np.ndarray:
    d = np.sqrt(np.maximum(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1), 0.0)) / length
    s5 = math.sqrt(5.0) * d
    result: np.ndarray = (1.0 + s5 + 5.0 / 3.0 * d**2) * np.exp(-s5)
    return result


@dataclass
class GaussianProcess:
    """A zero-mean GP on standardized targets; the length scale maximizes the marginal likelihood."""

    noise: float = 1e-6
    lengths: tuple[float, ...] = (0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5)
    x: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    length: float = 0.5
    _mean: float = 0.0
    _std: float = 1.0
    _factor: Any = None
    _alpha: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def fit(self, x: np.ndarray, y: np.ndarray) -> GaussianProcess:
        self.x = x
        self._mean = float(y.mean())
        self._std = float(y.std()) or 1.0
        z = (y - self._mean) / self._std
        best = -math.inf
        for length in self.lengths:
            k = _matern52(x, x, length) + (self.noise + 1e-8) * np.eye(len(x))
            try:
                factor = cho_factor(k, lower=True)
            except np.linalg.LinAlgError:
                continue
            alpha = cho_solve(factor, z)
            likelihood = -0.5 * float(z @ alpha) - float(np.log(np.diag(factor[0])).sum())
            if likelihood > best:
                best, self.length, self._factor, self._alpha = likelihood, length, factor, alpha
        return self

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = _matern52(x, self.x, self.length)
        mean = k @ self._alpha
        v = cho_solve(self._factor, k.T)
        var = np.maximum(1.0 - (k * v.T).sum(1), 1e-12)
        return mean * self._std + self._mean, np.sqrt(var) * self._std


def expected_improvement(mean: np.ndarray, std: np.ndarray, best: float, xi: float = 0.01) -> np.ndarray:
    """EI of maximizing: E[max(f - best - xi, 0)] under N(mean, std^2)."""
    gain = mean - best - xi
    z = gain / std
    result: np.ndarray = gain * norm.cdf(z) + std * norm.pdf(z)
    return result


class BayesianStrategy(Strategy):
    """Gaussian-process regression with expected improvement over the ranges (random jobs first)."""

    def __init__(
        self, ranges: Sequence[Range], seed: int, maximize: bool = True, initial: int | None = None
    ) -> None:
        super().__init__(ranges, seed, maximize)
        self.initial = initial if initial is not None else min(5, max(2, len(self.ranges) + 1))
        self.candidates = 512

    def suggest(self, trials: Sequence[Trial]) -> Values | None:
        seen = {_key(t.values) for t in trials}
        scored = [t for t in trials if t.objective is not None and not t.pending]
        if len(scored) < self.initial:
            return self._fresh_random(seen)
        sign = 1.0 if self.maximize else -1.0
        x = np.array([_encode(self.ranges, t.values) for t in scored])
        y = sign * np.array([float(t.objective) for t in scored if t.objective is not None])
        gp = GaussianProcess().fit(x, y)
        pending = [t for t in trials if t.pending]
        if pending:  # the running jobs' results are believed to be the surrogate's mean
            xp = np.array([_encode(self.ranges, t.values) for t in pending])
            x, y = np.vstack([x, xp]), np.concatenate([y, gp.predict(xp)[0]])
            gp = GaussianProcess(lengths=(gp.length,)).fit(x, y)
        options = self._candidates(scored, sign, seen)
        if not options:
            return self._fresh_random(seen)
        mean, std = gp.predict(np.array([_encode(self.ranges, o) for o in options]))
        ei = expected_improvement(mean, std, float(y[: len(scored)].max()))
        return options[int(np.argmax(ei))]

    def _candidates(self, scored: Sequence[Trial], sign: float, seen: set[Any]) -> list[Values]:
        """Random points, and points near the best trials (on each range's scale), not tried before."""
        options = [self._random() for _ in range(self.candidates)]
        ranked = sorted(scored, key=lambda t: -sign * float(t.objective or 0.0))[:3]
        for trial in ranked:
            for spread in (0.02, 0.05, 0.15):
                for _ in range(self.candidates // 16):
                    options.append(self._near(trial.values, spread))
        discrete = combinations(self.ranges) is not None
        unique = {_key(o): o for o in options if not (discrete and _key(o) in seen)}
        return list(unique.values())

    def _near(self, values: Mapping[str, str], spread: float) -> Values:
        moved: Values = {}
        for r in self.ranges:
            if r.kind == CATEGORICAL:
                keep = self.rng.random() > spread * 2
                moved[r.name] = values[r.name] if keep else r.values[int(self.rng.integers(len(r.values)))]
            else:
                u = r.to_unit(values[r.name]) + float(self.rng.normal(0.0, spread))
                if r.kind == INTEGER and r.from_unit(u) == values[r.name] and self.rng.random() < 0.5:
                    step = 1.0 / max(1, (r.count or 2) - 1)
                    u += step if self.rng.random() < 0.5 else -step
                moved[r.name] = r.from_unit(u)
        return moved


def strategy_for(
    name: str, ranges: Sequence[Range], seed: int, maximize: bool = True, points: int = 5
) -> Strategy:
    """The strategy named by ``HyperParameterTuningJobConfig.Strategy``."""
    if name == GRID:
        return GridStrategy(ranges, seed, maximize, points)
    if name == RANDOM:
        return RandomStrategy(ranges, seed, maximize)
    if name == BAYESIAN:
        return BayesianStrategy(ranges, seed, maximize)
    raise TuningError(f"The strategy {name} is not one of Grid, Random, Bayesian.")


# -- early stopping ----------------------------------------------------------------------------------------
def should_stop(series: Sequence[float], completed: Sequence[Sequence[float]], maximize: bool = True) -> bool:
    """AWS's rule for ``TrainingJobEarlyStoppingType: Auto`` at the job's latest epoch.

    ``series`` is the running job's objective, one value per epoch so far; ``completed`` the series of the
    training jobs that completed before. The job stops when its objective at epoch t is worse than the
    median of the completed jobs' running averages of their first t values (jobs with fewer epochs do not
    count), given at least ``MIN_COMPLETED`` such jobs."""
    if not series:
        return False
    epoch = len(series)
    averages = [float(np.mean(s[:epoch])) for s in completed if len(s) >= epoch]
    if len(averages) < MIN_COMPLETED:
        return False
    median = float(np.median(averages))
    current = float(series[-1])
    return current < median if maximize else current > median


# -- the comparison `make bench` reports --------------------------------------------------------------------
# The ranges of the demo project's pipeline.yaml, and a smooth AUC-like surface over them peaking off the
# grid's points (learning rate 0.08, depth 4, 140 trees): `grid_vs_bayesian(synthetic_auc, SYNTHETIC_RANGES)`.
SYNTHETIC_RANGES: dict[str, Any] = {
    "ContinuousParameterRanges": [
        {"Name": "learning_rate", "MinValue": "0.01", "MaxValue": "0.3", "ScalingType": "Logarithmic"}
    ],
    "IntegerParameterRanges": [
        {"Name": "max_depth", "MinValue": "2", "MaxValue": "5"},
        {"Name": "n_estimators", "MinValue": "50", "MaxValue": "200"},
    ],
}


def synthetic_auc(values: Mapping[str, str]) -> float:
    """A smooth objective over ``SYNTHETIC_RANGES`` (to maximize; its best is 0.9)."""
    rate, depth, trees = float(values["learning_rate"]), int(values["max_depth"]), int(values["n_estimators"])
    return 0.9 - 0.05 * math.log(rate / 0.08) ** 2 - 0.01 * (depth - 4) ** 2 - 4e-6 * (trees - 140) ** 2


def _best(scores: Sequence[float], maximize: bool) -> float:
    return max(scores) if maximize else min(scores)


def trials_to_reach(
    strategy: Strategy,
    objective: Callable[[Values], float],
    target: float,
    budget: int,
    maximize: bool = True,
    tolerance: float = 1e-9,
) -> tuple[int, float]:
    """Run ``strategy`` one trial at a time until a score at least as good as ``target`` (within
    ``tolerance``) or ``budget`` trials; the number of trials it took (``budget`` + 1 if never) and the best
    score."""
    trials: list[Trial] = []
    best = -math.inf if maximize else math.inf
    for n in range(1, budget + 1):
        values = strategy.suggest(trials)
        if values is None:
            break
        score = float(objective(values))
        trials.append(Trial(values, score))
        best = _best([best, score], maximize)
        if (best >= target - tolerance) if maximize else (best <= target + tolerance):
            return n, best
    return budget + 1, best


def grid_vs_bayesian(
    objective: Callable[[Values], float],
    ranges: Sequence[Range] | Mapping[str, Any],
    seeds: Iterable[int] = (0, 1, 2, 3, 4),
    maximize: bool = True,
    points: int = 5,
) -> dict[str, Any]:
    """How many trials Bayesian search needs to reach the best score of a grid search over the same ranges.

    The grid has ``points`` values per numeric range (``grid_values``); its best score is the target, its
    size the grid's trial count. For each seed, Bayesian search runs until it reaches the target (at most
    the grid's size). ``ratio`` is the mean Bayesian trial count over the grid's (below 1: fewer trials)."""
    parsed = parse_ranges(ranges) if isinstance(ranges, Mapping) else list(ranges)
    grid = grid_values(parsed, points)
    grid_scores = [float(objective(v)) for v in grid]
    target = _best(grid_scores, maximize)
    grid_trials = 1 + (grid_scores.index(target))
    runs = []
    for seed in seeds:
        trials, best = trials_to_reach(
            BayesianStrategy(parsed, seed, maximize), objective, target, len(grid), maximize
        )
        runs.append({"seed": seed, "trials": trials, "best": best, "reached": trials <= len(grid)})
    mean = float(np.mean([r["trials"] for r in runs]))
    return {
        "grid_size": len(grid),
        "grid_best": target,
        "grid_trials_to_best": grid_trials,
        "bayesian": runs,
        "bayesian_mean_trials": mean,
        "reached_all": all(r["reached"] for r in runs),
        "ratio": mean / len(grid),
    }
