"""Sanitises mail HTML with nh3 when it is stored: an allow-list, no active content.

`cid:` images become our attachment URLs; remote images are removed and only counted
(`has_remote_images`); a second rendering that keeps them is made for a reader who asks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "code", "col", "colgroup",
    "dd", "del", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "ins", "li", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"align", "dir", "lang", "title", "style", "valign", "width", "height"},
    "a": {"href"},
    "img": {"src", "alt", "border"},
    "font": {"color", "face", "size"},
    "table": {"border", "cellpadding", "cellspacing", "bgcolor"},
    "td": {"colspan", "rowspan", "bgcolor", "nowrap"},
    "th": {"colspan", "rowspan", "bgcolor", "nowrap"},
    "col": {"span"},
    "ol": {"start", "type"},
}
# CSS properties kept in style attributes: layout and typography only, nothing that loads.
ALLOWED_STYLE_PROPERTIES = {
    "color", "background-color", "font-family", "font-size", "font-style", "font-weight",
    "text-align", "text-decoration", "vertical-align", "line-height", "white-space",
    "margin", "margin-top", "margin-bottom", "margin-left", "margin-right",
    "padding", "padding-top", "padding-bottom", "padding-left", "padding-right",
    "border", "border-collapse", "border-color", "border-style", "border-width",
    "width", "height", "max-width", "display",
}  # fmt: skip
LINK_SCHEMES = {"http", "https", "mailto", "tel"}


@dataclass(frozen=True)
class SanitisedHtml:
    html: str
    html_with_remote_images: str  # empty when the mail has no remote image
    has_remote_images: bool


def _clean(html: str, attribute_filter: Callable[[str, str, str], str | None]) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "title", "head", "noscript", "template"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=attribute_filter,
        url_schemes=LINK_SCHEMES | {"cid"},
        filter_style_properties=ALLOWED_STYLE_PROPERTIES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def _style_is_safe(value: str) -> bool:
    lowered = value.lower().replace("\\", "")
    return not any(bad in lowered for bad in ("url(", "expression(", "@import", "image-set("))


def html_sanitise(html: str, *, cid_urls: dict[str, str]) -> SanitisedHtml:
    """Cleans `html`; `cid_urls` maps a Content-ID (without <>) to our attachment URL."""
    remote_seen: list[str] = []

    def make_filter(keep_remote: bool):
        def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
            if attribute == "style":
                return value if _style_is_safe(value) else None
            if tag == "img" and attribute == "src":
                stripped = value.strip()
                if stripped.lower().startswith("cid:"):
                    return cid_urls.get(stripped[4:].strip("<>"))
                if stripped.lower().startswith(("http://", "https://", "//")):
                    remote_seen.append(stripped)
                    return stripped if keep_remote else None
                return None
            if tag == "a" and attribute == "href" and value.strip().lower().startswith("cid:"):
                return None
            return value

        return attribute_filter

    cleaned = _clean(html, make_filter(keep_remote=False))
    has_remote = bool(remote_seen)
    with_remote = _clean(html, make_filter(keep_remote=True)) if has_remote else ""
    return SanitisedHtml(
        html=cleaned, html_with_remote_images=with_remote, has_remote_images=has_remote
    )
