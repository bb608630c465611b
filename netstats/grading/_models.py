"""Models of grade discordance (logistic GEE) and of Ki-67 over time (linear mixed model)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from netstats._display import ResultDisplay, plural
from netstats.cohort._who import GRADES
from netstats.exceptions import SchemaError, StatisticalWarning
from netstats.grading._pairs import DAYS_PER_MONTH, PairSet, check_pathology

__all__ = [
    "DiscordanceModelResult",
    "Ki67TrajectoryResult",
    "discordance_model",
    "ki67_trajectory_model",
]

#: Fewer outcome events than this per model parameter triggers a StatisticalWarning
#: (Peduzzi et al., J Clin Epidemiol 1996;49:1373-1379).
MIN_EVENTS_PER_PARAMETER = 10


@dataclass(frozen=True, repr=False)
class DiscordanceModelResult(ResultDisplay):
    """Logistic GEE of grade discordance between paired specimens.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per term: ``term``, ``estimate`` (log odds ratio), ``se`` (robust sandwich),
        ``odds_ratio``, ``ci_lower``, ``ci_upper`` (odds-ratio scale), ``conf_level``,
        ``z``, ``p_value``.
    formula : str
        Model formula (patsy).
    outcome : str
        ``discordant``, ``upgraded`` or ``downgraded``.
    cov_struct : str
        Working correlation.
    working_correlation : float
        Estimated exchangeable correlation (NaN for independence).
    n_pairs, n_patients, n_events : int
        Pairs and patients used, pairs with the outcome.
    excluded : pandas.DataFrame
        ``reason``, ``n_pairs``.
    references : dict of str to str
        Reference level of each categorical covariate (the first in sorted order, patsy's
        treatment coding), for naming its terms "level vs reference".

    Examples
    --------
    >>> import warnings
    >>> import numpy as np, pandas as pd
    >>> from netstats.grading import discordance_model
    >>> rng = np.random.default_rng(0)
    >>> pairs = pd.DataFrame({
    ...     "patient_id": np.repeat(np.arange(30), 2),
    ...     "primary_who_grade": rng.choice(["G1", "G2"], 60),
    ...     "metastasis_who_grade": rng.choice(["G1", "G2"], 60),
    ...     "months_between": rng.uniform(0, 24, 60)})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     fit = discordance_model(pairs, covariates=["months_between"])
    >>> print(fit.method)  # doctest: +ELLIPSIS
    Logistic GEE of discordant, exchangeable working correlation, robust SE clustered on patient_id; 60 pairs / 30 patients, ... discordant: discordant ~ months_between
    """

    summary: pd.DataFrame
    formula: str
    outcome: str
    cov_struct: str
    working_correlation: float
    n_pairs: int
    n_patients: int
    n_events: int
    excluded: pd.DataFrame
    references: dict[str, str] = field(default_factory=dict)

    @property
    def method(self) -> str:
        """One-line description (model, working correlation, sizes, formula)."""
        return (
            f"Logistic GEE of {self.outcome}, {self.cov_struct} working correlation, robust SE "
            f"clustered on patient_id; {plural(self.n_pairs, 'pair')} / "
            f"{plural(self.n_patients, 'patient')}, {self.n_events} {self.outcome}: "
            f"{self.formula}"
        )

    def to_frame(self) -> pd.DataFrame:
        """Same as :attr:`summary`."""
        return self.summary


_DEFAULT_COVARIATES = (
    "months_between",
    "timing",
    "{second}_specimen_type",
    "{first}_tumour_size_mm",
    "intervening_therapy",
)


def _outcome(pairs: pd.DataFrame, g1: str, g2: str, outcome: str) -> tuple[pd.Series, pd.Series]:
    code = {g: i for i, g in enumerate(GRADES)}
    a = pairs[g1].astype(object).map(code)
    b = pairs[g2].astype(object).map(code)
    ok = a.notna() & b.notna()
    y = {"discordant": a != b, "upgraded": b > a, "downgraded": b < a}[outcome]
    return y.astype(float), ok


def _check_model_options(outcome: str, cov_struct: str, conf_level: float) -> None:
    if outcome not in ("discordant", "upgraded", "downgraded"):
        raise ValueError(
            f"outcome must be 'discordant', 'upgraded' or 'downgraded', got {outcome!r}"
        )
    if cov_struct not in ("exchangeable", "independence"):
        raise ValueError(f"cov_struct must be 'exchangeable' or 'independence', got {cov_struct!r}")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level!r}")


def _rename(text: str, names: dict[str, str]) -> str:
    """Put the user's column names back into patsy term labels (longest placeholder first)."""
    for k, v in sorted(names.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(f"C({k})", v).replace(k, v)
    return text


def discordance_model(
    pairs: pd.DataFrame | PairSet,
    *,
    first: str = "primary",
    second: str = "metastasis",
    covariates: Sequence[str] | None = None,
    outcome: Literal["discordant", "upgraded", "downgraded"] = "discordant",
    grade: str = "who_grade",
    cluster: str = "patient_id",
    cov_struct: Literal["exchangeable", "independence"] = "exchangeable",
    conf_level: float = 0.95,
) -> DiscordanceModelResult:
    """What drives grade discordance: logistic regression by GEE, clustered on patient.

    Parameters
    ----------
    pairs : pandas.DataFrame or PairSet
        Pairs from :func:`build_pairs` (grades ``{first}_{grade}``, ``{second}_{grade}``).
    first, second : str
        Column prefixes of the two members.
    covariates : sequence of str, optional
        Columns of ``pairs`` used as predictors. Default: ``months_between``, ``timing``
        (synchronous vs metachronous), ``{second}_specimen_type``, ``{first}_tumour_size_mm``
        and ``intervening_therapy``, keeping those with at least one non-missing value.
        Text and boolean columns enter as categorical (first level alphabetical is the
        reference).
    outcome : {"discordant", "upgraded", "downgraded"}, default="discordant"
        Any grade difference, or a higher / lower grade in the second member.
    grade, cluster : str
        Grade column stem and patient identifier.
    cov_struct : {"exchangeable", "independence"}, default="exchangeable"
        GEE working correlation within patient.
    conf_level : float, default=0.95
        Level of the Wald intervals.

    Returns
    -------
    DiscordanceModelResult
        Odds ratios with robust CIs (``summary``), the working correlation and exclusions.

    Raises
    ------
    SchemaError
        A covariate or grade column is missing.
    ValueError
        Nothing left to fit, or the outcome does not vary.

    Warns
    -----
    StatisticalWarning
        Fewer than 10 events (or non-events) per estimated parameter.

    Notes
    -----
    ``statsmodels`` GEE, binomial family with logit link, robust (sandwich) covariance.
    Pairs with NEC or a missing grade, or with a missing covariate, are excluded and counted
    in ``excluded``. With ``cov_struct="independence"`` the point estimates equal ordinary
    logistic regression.

    References
    ----------
    Liang K-Y, Zeger SL. Biometrika 1986;73:13-22.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> n = 60
    >>> pairs = pd.DataFrame({
    ...     "patient_id": np.repeat(np.arange(30), 2),
    ...     "primary_who_grade": rng.choice(["G1", "G2"], n),
    ...     "metastasis_who_grade": rng.choice(["G1", "G2"], n),
    ...     "months_between": rng.uniform(0, 24, n)})
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     fit = discordance_model(pairs, covariates=["months_between"])
    >>> fit.summary["term"].tolist()
    ['Intercept', 'months_between']
    """
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    if isinstance(pairs, PairSet):
        pairs = pairs.pairs
    if not isinstance(pairs, pd.DataFrame):
        raise TypeError(f"pairs must be a DataFrame or PairSet, got {type(pairs).__name__}")
    _check_model_options(outcome, cov_struct, conf_level)
    g1, g2 = f"{first}_{grade}", f"{second}_{grade}"
    if covariates is None:
        cand = [c.format(first=first, second=second) for c in _DEFAULT_COVARIATES]
        covariates = [c for c in cand if c in pairs.columns and pairs[c].notna().any()]
    covariates = list(covariates)
    missing = [c for c in (cluster, g1, g2, *covariates) if c not in pairs.columns]
    if missing:
        raise SchemaError(f"pairs table lacks column(s): {', '.join(missing)}")
    y, ok = _outcome(pairs, g1, g2, outcome)
    exc = [("NEC or missing grade in a member", int((~ok).sum()))]
    cov_ok = pairs[covariates].notna().all(axis=1)
    exc.append(("missing covariate", int((ok & ~cov_ok).sum())))
    use = ok & cov_ok
    if use.sum() == 0:
        raise ValueError("no pair has two NET grades and complete covariates")
    data = pd.DataFrame({"y": y[use].to_numpy(), "_cluster": pairs.loc[use, cluster].to_numpy()})
    terms = []
    references: dict[str, str] = {}
    for i, c in enumerate(covariates):
        col = pairs.loc[use, c]
        name = f"x{i}"
        if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
            data[name] = col.astype(str).to_numpy()
            terms.append(f"C({name})")
            references[c] = sorted(data[name].unique())[0]
        else:
            data[name] = col.astype(float).to_numpy()
            terms.append(name)
    if data["y"].nunique() < 2:
        raise ValueError(f"outcome '{outcome}' does not vary among the {len(data)} usable pairs")
    formula = "y ~ " + (" + ".join(terms) if terms else "1")
    cs = (
        sm.cov_struct.Exchangeable()
        if cov_struct == "exchangeable"
        else sm.cov_struct.Independence()
    )
    data = data.sort_values("_cluster", kind="mergesort").reset_index(drop=True)
    model = smf.gee(
        formula, groups="_cluster", data=data, family=sm.families.Binomial(), cov_struct=cs
    )
    fit = model.fit()
    n_events = int(data["y"].sum())
    n_par = len(fit.params)
    if min(n_events, len(data) - n_events) < MIN_EVENTS_PER_PARAMETER * n_par:
        warnings.warn(
            f"{min(n_events, len(data) - n_events)} events for {n_par} parameters (< "
            f"{MIN_EVENTS_PER_PARAMETER} per parameter): estimates may be unstable",
            StatisticalWarning,
            stacklevel=2,
        )
    names = {f"x{i}": c for i, c in enumerate(covariates)}
    terms_out = [_rename(t, names) for t in fit.params.index]
    z = stats.norm.ppf(0.5 + conf_level / 2)
    est = fit.params.to_numpy()
    se = fit.bse.to_numpy()
    summary = pd.DataFrame(
        {
            "term": terms_out,
            "estimate": est,
            "se": se,
            "odds_ratio": np.exp(est),
            "ci_lower": np.exp(est - z * se),
            "ci_upper": np.exp(est + z * se),
            "conf_level": float(conf_level),
            "z": est / se,
            "p_value": 2 * stats.norm.sf(np.abs(est / se)),
        }
    )
    rho = float(cs.dep_params) if cov_struct == "exchangeable" else np.nan
    label = _rename(formula, names)
    return DiscordanceModelResult(
        summary=summary,
        formula=label.replace("y ~", f"{outcome} ~", 1),
        outcome=outcome,
        cov_struct=cov_struct,
        working_correlation=rho,
        n_pairs=len(data),
        n_patients=int(data["_cluster"].nunique()),
        n_events=n_events,
        excluded=pd.DataFrame(exc, columns=["reason", "n_pairs"]),
        references=references,
    )


@dataclass(frozen=True, repr=False)
class Ki67TrajectoryResult(ResultDisplay):
    """Linear mixed model of log Ki-67 over time within patients.

    Attributes
    ----------
    summary : pandas.DataFrame
        Fixed effects: ``term``, ``estimate`` (log scale), ``se``, ``ci_lower``,
        ``ci_upper``, ``conf_level``, ``z``, ``p_value``, ``fold_change`` (exp(estimate)),
        ``fold_change_ci_lower``, ``fold_change_ci_upper``. The ``years`` row is the mean
        change in log Ki-67 per year (``fold_change`` per year).
    variance_components : pandas.DataFrame
        ``component`` (``intercept_var``, ``slope_var``, ``intercept_slope_cov``,
        ``residual_var``) and ``estimate``.
    data : pandas.DataFrame
        The analysed specimens: ``patient_id``, ``sample_id``, ``years`` (since the
        patient's first specimen), ``log_ki67``.
    random_slope : bool
        Whether patients have their own slope.
    offset : float
        Added to Ki-67 before the log.
    n_specimens, n_patients : int
        Used specimens and patients.
    excluded : pandas.DataFrame
        ``reason``, ``n_specimens``.
    converged : bool
        Optimiser convergence.

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats.grading import ki67_trajectory_model
    >>> path = pd.DataFrame({
    ...     "patient_id": ["A", "A", "A", "B", "B", "C", "C"],
    ...     "sample_id": list("1234567"),
    ...     "sample_date": pd.to_datetime(["2018-01-01", "2019-01-01", "2020-01-01",
    ...                                    "2018-06-01", "2020-06-01", "2019-01-01", "2021-01-01"]),
    ...     "site": "liver", "specimen_type": "core_biopsy",
    ...     "ki67_percent": [2.0, 3.5, 6.0, 10.0, 14.0, 1.0, 2.2]})
    >>> fit = ki67_trajectory_model(path, random_slope=False)
    >>> print(fit.method)
    Linear mixed model (REML) of log(Ki-67) ~ years, random intercept per patient; 7 specimens / 3 patients
    >>> bool(fit.summary.set_index("term").loc["years", "fold_change"] > 1)
    True
    """

    summary: pd.DataFrame
    variance_components: pd.DataFrame
    data: pd.DataFrame
    random_slope: bool
    offset: float
    n_specimens: int
    n_patients: int
    excluded: pd.DataFrame
    converged: bool

    @property
    def method(self) -> str:
        """One-line description (model, random effects, sizes, convergence)."""
        effects = "intercept and slope" if self.random_slope else "intercept"
        offset = f" + {self.offset:g}" if self.offset else ""
        conv = "" if self.converged else "; optimiser did NOT converge"
        return (
            f"Linear mixed model (REML) of log(Ki-67{offset}) ~ years, random {effects} per "
            f"patient; {plural(self.n_specimens, 'specimen')} / "
            f"{plural(self.n_patients, 'patient')}{conv}"
        )

    def to_frame(self) -> pd.DataFrame:
        """Same as :attr:`summary`."""
        return self.summary


def _fit_mixed(model: Any) -> tuple[Any, bool]:
    """REML fit trying L-BFGS, then Powell, then Nelder-Mead; the first converged fit wins.

    statsmodels' gradient optimisers can fail (singular matrices) when a variance component
    sits at 0; the derivative-free ones then still find the optimum.
    """
    best = None
    for method in ("lbfgs", "powell", "nm"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fit = model.fit(reml=True, method=method)
            except (np.linalg.LinAlgError, ValueError):
                continue
        if fit.converged and np.isfinite(fit.llf):
            return fit, True
        if best is None or fit.llf > best.llf:
            best = fit
    if best is None:
        raise ValueError("the mixed model could not be fitted (singular design in every optimiser)")
    return best, False


def _conditional_se(model: Any, fit: Any, data: pd.DataFrame, random_slope: bool) -> np.ndarray:
    """SE of the fixed effects from (X' V^-1 X)^-1 at the REML variance estimates.

    This is the convention of nlme and lme4; statsmodels' ``bse_fe`` comes from the full
    observed information (fixed and variance parameters jointly) and is slightly different.
    """
    x = np.asarray(model.exog)
    cov_re = np.asarray(fit.cov_re)
    info = np.zeros((x.shape[1], x.shape[1]))
    for idx in data.groupby("patient_id", sort=False).indices.values():
        idx = np.asarray(idx)
        t = data["years"].to_numpy()[idx]
        z = np.column_stack([np.ones(idx.size), t]) if random_slope else np.ones((idx.size, 1))
        v = z @ cov_re @ z.T + fit.scale * np.eye(idx.size)
        info += x[idx].T @ np.linalg.solve(v, x[idx])
    return np.sqrt(np.diag(np.linalg.inv(info)))


def ki67_trajectory_model(
    pathology: pd.DataFrame,
    *,
    random_slope: bool = True,
    offset: float = 0.0,
    sites: Sequence[str] | None = None,
    conf_level: float = 0.95,
) -> Ki67TrajectoryResult:
    """Ki-67 over time within patients: linear mixed model on log Ki-67 (statsmodels MixedLM).

    Parameters
    ----------
    pathology : pandas.DataFrame
        One row per specimen (``patient_id``, ``sample_id``, ``sample_date``, ``site``,
        ``specimen_type``, ``ki67_percent``).
    random_slope : bool, default=True
        Random intercept and slope per patient (unstructured 2 x 2 covariance); False:
        random intercept only.
    offset : float, default=0.0
        Added to Ki-67 before the natural log (needed when a value is 0).
    sites : sequence of str, optional
        Keep only these sites (e.g. ``["liver"]``); default all.
    conf_level : float, default=0.95
        Level of the Wald intervals.

    Returns
    -------
    Ki67TrajectoryResult
        Fixed effects with fold changes (``summary``), variance components and the data.

    Raises
    ------
    SchemaError
        Invalid pathology table.
    ValueError
        Fewer than 2 patients with >= 2 dated Ki-67 values, or non-positive values on the log
        scale.

    Notes
    -----
    Model: log(Ki-67 + offset)_ij = b0 + b1 t_ij + u0_i + u1_i t_ij + e_ij, t in years
    (365.25 days) since the patient's first analysed specimen, fitted by REML (statsmodels
    MixedLM). Standard errors of the fixed effects are (X' V^-1 X)^-1 at the REML variance
    estimates, as in nlme and lme4. Specimens
    without a date or Ki-67 are excluded and counted; patients with one specimen still
    inform the intercept. The slope is a within-patient average; it does not separate
    site (primary vs metastasis) from time unless ``sites`` restricts the data.

    References
    ----------
    Laird NM, Ware JH. Biometrics 1982;38:963-974.

    Examples
    --------
    >>> path = pd.DataFrame({
    ...     "patient_id": ["A", "A", "A", "B", "B", "C", "C"],
    ...     "sample_id": list("1234567"),
    ...     "sample_date": pd.to_datetime(["2018-01-01", "2019-01-01", "2020-01-01",
    ...                                    "2018-06-01", "2020-06-01", "2019-01-01", "2021-01-01"]),
    ...     "site": "liver", "specimen_type": "core_biopsy",
    ...     "ki67_percent": [2.0, 3.5, 6.0, 10.0, 14.0, 1.0, 2.2]})
    >>> fit = ki67_trajectory_model(path, random_slope=False)
    >>> fit.summary["term"].tolist()
    ['Intercept', 'years']
    """
    import statsmodels.formula.api as smf

    check_pathology(pathology)
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level!r}")
    df = pathology
    exc = []
    if sites is not None:
        keep_site = df["site"].isin(list(sites))
        exc.append(("site not selected", int((~keep_site).sum())))
        df = df[keep_site]
    ki = pd.to_numeric(df["ki67_percent"], errors="coerce")
    ok = df["sample_date"].notna() & ki.notna()
    exc.append(("missing sample_date or ki67_percent", int((~ok).sum())))
    df = df[ok]
    ki = ki[ok]
    if np.any(ki + offset <= 0):
        raise ValueError(
            "ki67_percent + offset must be > 0 for the log scale; pass offset (e.g. 0.5)"
        )
    first_date = df.groupby("patient_id")["sample_date"].transform("min")
    data = (
        pd.DataFrame(
            {
                "patient_id": df["patient_id"].to_numpy(),
                "sample_id": df["sample_id"].to_numpy(),
                "years": (
                    (df["sample_date"] - first_date).dt.days / (12 * DAYS_PER_MONTH)
                ).to_numpy(),
                "log_ki67": np.log(ki.to_numpy(dtype=float) + offset),
            }
        )
        .sort_values(["patient_id", "years", "sample_id"], kind="mergesort")
        .reset_index(drop=True)
    )
    n_multi = int((data.groupby("patient_id").size() >= 2).sum())
    if n_multi < 2:
        raise ValueError(
            f"{n_multi} patient(s) with >= 2 dated Ki-67 values; at least 2 are needed"
        )
    model = smf.mixedlm(
        "log_ki67 ~ years",
        data,
        groups=data["patient_id"],
        re_formula="~years" if random_slope else "1",
    )
    fit, converged = _fit_mixed(model)
    if not converged:
        warnings.warn(
            "mixed model: no optimiser converged; the best fit found is reported",
            StatisticalWarning,
            stacklevel=2,
        )
    if np.any(np.diag(np.asarray(fit.cov_re)) < 1e-8):
        warnings.warn(
            "mixed model: a random-effect variance is estimated at the boundary (0): the data "
            "show no between-patient variation in it (try random_slope=False)",
            StatisticalWarning,
            stacklevel=2,
        )
    z = stats.norm.ppf(0.5 + conf_level / 2)
    fe = fit.fe_params
    se = pd.Series(_conditional_se(model, fit, data, random_slope), index=fe.index)
    summ = pd.DataFrame(
        {
            "term": list(fe.index),
            "estimate": fe.to_numpy(),
            "se": se.to_numpy(),
            "ci_lower": (fe - z * se).to_numpy(),
            "ci_upper": (fe + z * se).to_numpy(),
            "conf_level": float(conf_level),
            "z": (fe / se).to_numpy(),
            "p_value": 2 * stats.norm.sf(np.abs((fe / se).to_numpy())),
        }
    )
    summ["fold_change"] = np.exp(summ["estimate"])
    summ["fold_change_ci_lower"] = np.exp(summ["ci_lower"])
    summ["fold_change_ci_upper"] = np.exp(summ["ci_upper"])
    cov = np.asarray(fit.cov_re)
    vc = [("intercept_var", cov[0, 0])]
    if random_slope:
        vc += [("slope_var", cov[1, 1]), ("intercept_slope_cov", cov[0, 1])]
    vc.append(("residual_var", float(fit.scale)))
    return Ki67TrajectoryResult(
        summary=summ,
        variance_components=pd.DataFrame(vc, columns=["component", "estimate"]),
        data=data,
        random_slope=random_slope,
        offset=float(offset),
        n_specimens=len(data),
        n_patients=int(data["patient_id"].nunique()),
        excluded=pd.DataFrame(exc, columns=["reason", "n_specimens"]),
        converged=converged,
    )
