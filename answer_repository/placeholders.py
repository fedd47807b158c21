"""Placeholders such as {{ prenom }} in reply templates: validation and substitution (pure).

The context contract: a dict {placeholder name: value or None}. A name that is absent,
None or blank is a *gap*: it is rendered as a visible marker the counsellor must fill
(`[[À COMPLÉTER : date_rdv]]`), and `gaps_find` lets the send step refuse a reply
that still holds one.
"""

import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.translation import gettext as _
from lxml import html as lxml_html

PLACEHOLDERS: dict[str, str] = {
    "prenom": "Prénom du correspondant",
    "nom": "Nom du correspondant",
    "identifiant": "Identifiant France Travail du demandeur",
    "conseiller": "Prénom et nom du conseiller",
    "agence": "Agence du conseiller",
    "date_rdv": "Date et heure du rendez-vous",
}

# Anything between double braces counts, so that a typo ({{ prénom }}) is reported.
PLACEHOLDER_RE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
GAP_LABEL = "À COMPLÉTER"
GAP_RE = re.compile(r"\[\[À COMPLÉTER : ([^\]]+)\]\]")


@dataclass(frozen=True)
class PlaceholderProblem:
    name: str
    line: int
    column: int
    message: str


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def placeholders_check(text: str) -> list[PlaceholderProblem]:
    """Every unknown or malformed placeholder in `text`, with its line and column."""
    problems = []
    for match in PLACEHOLDER_RE.finditer(text):
        name = match.group(1)
        if name not in PLACEHOLDERS:
            line, col = _line_col(text, match.start())
            problems.append(PlaceholderProblem(name, line, col, "unknown"))
    for match in re.finditer(r"\{\{|\}\}", PLACEHOLDER_RE.sub("", text)):
        # A lone "{{" or "}}" left once the well-formed ones are removed.
        problems.append(PlaceholderProblem(match.group(0), 0, 0, "unbalanced"))
    return problems


def placeholders_errors(text: str) -> list[str]:
    """French messages for placeholders_check, naming each placeholder and its position."""
    messages = []
    for p in placeholders_check(text):
        if p.message == "unknown":
            messages.append(
                _(
                    "Champ inconnu « {{ %(name)s }} » (ligne %(line)d, colonne %(col)d). "
                    "Champs possibles : %(known)s."
                )
                % {
                    "name": p.name,
                    "line": p.line,
                    "col": p.column,
                    "known": ", ".join(PLACEHOLDERS),
                }
            )
        else:
            messages.append(
                _("Accolades « %(token)s » sans champ complet : écrivez {{ nom_du_champ }}.")
                % {"token": p.name}
            )
    return messages


def placeholders_used(text: str) -> list[str]:
    seen = []
    for match in PLACEHOLDER_RE.finditer(text):
        if match.group(1) not in seen:
            seen.append(match.group(1))
    return seen


def gap_text(name: str) -> str:
    return f"[[{GAP_LABEL} : {name}]]"


def gap_html(name: str) -> str:
    return (
        f'<mark class="placeholder-gap" data-placeholder="{escape(name)}">'
        f"{escape(gap_text(name))}</mark>"
    )


def _value(context: dict, name: str) -> str | None:
    value = context.get(name)
    if value is None:
        return None
    value = str(value)
    return value if value.strip() else None


def substitute_text(text: str, context: dict) -> str:
    """Plain-text substitution: values as they are, gaps as visible markers."""

    def repl(match):
        value = _value(context, match.group(1))
        return gap_text(match.group(1)) if value is None else value

    return PLACEHOLDER_RE.sub(repl, text)


def substitute_html(html: str, context: dict) -> str:
    """HTML substitution: values escaped (a name "<script>" stays text), gaps highlighted."""

    def repl(match):
        value = _value(context, match.group(1))
        return gap_html(match.group(1)) if value is None else escape(value)

    return PLACEHOLDER_RE.sub(repl, html)


def gaps_find(content: str) -> list[str]:
    """Names of the gaps still in a rendered text or HTML (and of any raw placeholder left)."""
    names = [m.group(1) for m in GAP_RE.finditer(content)]
    names += [m.group(1) for m in PLACEHOLDER_RE.finditer(content)]
    return list(dict.fromkeys(names))


def html_to_text(html: str) -> str:
    """A readable plain-text version of the restricted rich text (paragraphs, lists, links)."""
    if not html or not html.strip():
        return ""
    root = lxml_html.fragment_fromstring(html, create_parent="div")
    blocks: list[str] = []

    def inline(el) -> str:
        parts = [el.text or ""]
        for child in el:
            if child.tag == "br":
                parts.append("\n")
            else:
                parts.append(inline(child))
                href = child.get("href") if child.tag == "a" else None
                if href and href.startswith(("http://", "https://", "mailto:")):
                    parts.append(f" ({href})")
            parts.append(child.tail or "")
        return "".join(parts)

    def walk(el):
        for child in el:
            if child.tag in ("ul", "ol"):
                items = []
                for n, li in enumerate(child.findall("li"), start=1):
                    bullet = f"{n}." if child.tag == "ol" else "-"
                    items.append(f"{bullet} {inline(li).strip()}")
                blocks.append("\n".join(items))
            elif child.tag in ("p", "h2", "h3", "h4", "blockquote"):
                blocks.append(inline(child).strip())
            elif child.tag == "div":
                walk(child)
            else:
                blocks.append(inline(child).strip())
        if el.text and el.text.strip() and el is root:
            blocks.insert(0, el.text.strip())

    walk(root)
    return "\n\n".join(b for b in blocks if b)
