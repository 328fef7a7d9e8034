"""Render one text field from its template and make it fit the platform, recording every change and why.

Order of remedies, least harmful first: keep the hashtag count under the cap by dropping the least important
chosen hashtags; shorten the field's ``shrink`` variable (the story description, say) at a grapheme and word
boundary; when that is already empty, drop chosen hashtags from the end; as a last resort cut the rendered text.
Forbidden characters are replaced before anything is measured, since the replacement can change the length.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from storyexport.config.rules_model import TextFieldRules
from storyexport.metadata.checks import Adjustment, Check, adjustment, check
from storyexport.metadata.hashtags import find_hashtags, unmark_excess_hashtags
from storyexport.metadata.templates import TemplateVariables, render_template, undeclared_variables
from storyexport.metadata.text import fit_graphemes, measure, replace_forbidden, truncate


@dataclass
class FieldResult:
    text: str
    hashtags: list[str]
    adjustments: list[Adjustment] = field(default_factory=list)


@dataclass
class _Render:
    text: str
    replaced: dict[str, int]
    unmarked: list[str]


@dataclass
class FieldFitter:
    """Fits the text field ``name`` of one platform; ``where`` names the rules file for error messages."""

    name: str
    spec: TextFieldRules
    where: str
    hashtag_budget: int | None

    @property
    def label(self) -> str:
        return f"text.{self.name}"

    def _render(self, variables: TemplateVariables, overrides: Mapping[str, str], tags: list[str]) -> _Render:
        values = {**variables, **overrides, "hashtags": tags, "hashtag_line": " ".join(tags)}
        raw = render_template(self.spec["template"], values, f"{self.where} {self.label}")
        text, replaced = replace_forbidden(raw, self.spec.get("forbidden") or {})
        unmarked: list[str] = []
        if self.counts_hashtags and self.hashtag_budget is not None:
            text, unmarked = unmark_excess_hashtags(text, self.hashtag_budget)
        return _Render(text, replaced, unmarked)

    @property
    def shrink_variables(self) -> list[str]:
        """Variables shortened in order: the next is touched only once the previous one is empty."""
        shrink = self.spec.get("shrink") or "description"
        return [shrink] if isinstance(shrink, str) else list(shrink)

    @property
    def counts_hashtags(self) -> bool:
        return self.spec.get("counts_hashtags", True)

    def _fits(self, text: str) -> bool:
        return measure(text, self.spec["unit"]) <= self.spec["max_length"]

    def _uses_hashtags(self) -> bool:
        return bool({"hashtags", "hashtag_line"} & undeclared_variables(self.spec["template"]))

    def fit(self, variables: TemplateVariables, hashtags: list[str]) -> FieldResult:
        result = FieldResult(text="", hashtags=list(hashtags))
        uses_tags = self._uses_hashtags()
        self._respect_hashtag_cap(variables, result, uses_tags)
        overrides = self._shrink(variables, result, uses_tags)
        if overrides is None:
            rendered = self._render(variables, dict.fromkeys(self.shrink_variables, ""), result.hashtags)
            result.text = truncate(rendered.text, self.spec["max_length"], self.spec["unit"])
            result.adjustments.append(self._last_resort_adjustment(rendered.text))
        else:
            rendered = self._render(variables, overrides, result.hashtags)
            result.text = rendered.text
            full = self._render(variables, {}, result.hashtags).text
            for name, value in overrides.items():
                original = str(variables.get(name) or "")
                if value != original:
                    result.adjustments.append(self._shrink_adjustment(name, original, value, full))
        self._note_render_changes(rendered, result)
        return result

    def _respect_hashtag_cap(self, variables: TemplateVariables, result: FieldResult, uses_tags: bool) -> None:
        if not (uses_tags and self.counts_hashtags and self.hashtag_budget is not None):
            return
        while result.hashtags:
            raw = render_template(self.spec["template"],
                                  {**variables, "hashtags": result.hashtags,
                                   "hashtag_line": " ".join(result.hashtags)}, f"{self.where} {self.label}")
            if len(find_hashtags(raw)) <= self.hashtag_budget:
                return
            dropped = result.hashtags.pop()
            result.adjustments.append(adjustment(
                self.label, "hashtags_dropped", f"the text would carry more than {self.hashtag_budget} hashtags",
                hashtags=[dropped]))

    def _shrink_once(self, variables: TemplateVariables, tags: list[str]) -> dict[str, str] | None:
        """Overrides that make the text fit with ``tags``, or None if it cannot fit even with all of them empty."""
        overrides: dict[str, str] = {}
        for name in self.shrink_variables:
            def fits(candidate: str, name: str = name) -> bool:
                return self._fits(self._render(variables, {**overrides, name: candidate}, tags).text)

            value = fit_graphemes(str(variables.get(name) or ""), fits)
            if value is not None:
                overrides[name] = value
                return overrides
            overrides[name] = ""
        return None

    def _shrink(self, variables: TemplateVariables, result: FieldResult, uses_tags: bool) -> dict[str, str] | None:
        overrides = self._shrink_once(variables, result.hashtags)
        while overrides is None and uses_tags and result.hashtags:
            dropped = result.hashtags.pop()
            result.adjustments.append(adjustment(
                self.label, "hashtags_dropped",
                f"{self.label} exceeds {self.spec['max_length']} {self.spec['unit']} even with "
                f"{', '.join(self.shrink_variables)} empty", hashtags=[dropped]))
            overrides = self._shrink_once(variables, result.hashtags)
        return overrides

    def _shrink_adjustment(self, name: str, original: str, value: str, full: str) -> Adjustment:
        unit = self.spec["unit"]
        return adjustment(
            self.label, "truncated",
            f"{self.label} was {measure(full, unit)} {unit}, over the limit of {self.spec['max_length']}",
            variable=name, original_length=measure(original, unit), kept_length=measure(value, unit))

    def _last_resort_adjustment(self, full: str) -> Adjustment:
        unit = self.spec["unit"]
        return adjustment(
            self.label, "truncated",
            f"{self.label} was {measure(full, unit)} {unit} with {', '.join(self.shrink_variables)} empty and no "
            f"hashtags, over the limit of {self.spec['max_length']}; the whole text was cut", variable=None)

    def _note_render_changes(self, rendered: _Render, result: FieldResult) -> None:
        if rendered.replaced:
            result.adjustments.append(adjustment(
                self.label, "characters_replaced",
                f"the platform rejects {' and '.join(repr(c) for c in rendered.replaced)} in {self.label}",
                counts=dict(sorted(rendered.replaced.items())),
                replacements={c: self.spec["forbidden"][c] for c in sorted(rendered.replaced)}))
        if rendered.unmarked:
            result.adjustments.append(adjustment(
                self.label, "hashtags_unmarked",
                f"the story text itself carries more than {self.hashtag_budget} hashtags; '#' removed from the rest",
                hashtags=rendered.unmarked))

    def length_check(self, text: str) -> Check:
        """Length within [min_length, max_length]; an empty required text (a YouTube title) fails here."""
        actual, unit = measure(text, self.spec["unit"]), self.spec["unit"]
        low, high = self.spec.get("min_length", 0), self.spec["max_length"]
        if actual < low:
            return check(f"{self.label}.length", False, actual, {"min": low, "max": high},
                         f"{self.label} is {actual} {unit}, below the minimum of {low}")
        return check(f"{self.label}.length", actual <= high, actual, {"min": low, "max": high},
                     f"{self.label} is {actual} of {high} {unit}")
