"""Jinja2 rendering for server-side pages and emails; templates live in ``web/templates``."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ombud import i18n

TEMPLATE_DIR = Path(__file__).parent / "templates"


# Names a plain dict answers as attributes (methods); any other name is one of its keys.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(Environment):
    """Jinja2's environment, looking up ``d.name`` of a plain dict as a key first.

    Jinja tries the attribute first and catches the ``AttributeError``; pages and packages
    read most values from dicts, and that raise per lookup was a sixth of a package's CPU. The
    answer is the same: a plain dict has no attribute of another name."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``obj.attribute`` in a template."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


@lru_cache
def environment() -> Environment:
    """Return the shared Jinja2 environment (autoescaped HTML, plain text for ``.txt``).

    ``{% trans %}`` and ``_()`` translate into the current language (``ombud.i18n.current()``);
    the callables read it at render time, so one environment serves every language.

    Templates ship with the package and change only with it, when the server restarts: each
    is read and compiled once, not checked on disk again at every page and letter."""
    env = _Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        auto_reload=False,
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Added by the i18n extension, so not on Environment's type.
    install = getattr(env, "install_gettext_callables")  # noqa: B009
    install(i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext)
    env.globals["current_language"] = i18n.current
    env.globals["languages"] = language_names
    return env


@lru_cache
def language_names() -> tuple[tuple[str, str], ...]:
    """(code, name in that language) of every language with a catalog: the switcher's."""
    return tuple(
        (code, (Locale.parse(code).get_display_name(code) or code).capitalize())
        for code in i18n.available()
    )


def render(template: str, **context: Any) -> str:
    """Render one template with ``context`` in the current language (``i18n.current()``);
    pages without a ``brand`` get a neutral one."""
    return environment().get_template(template).render(**_branded(context))


def render_parts(template: str, **context: Any) -> Iterator[str]:
    """``render``, part by part as the template writes them (``Template.generate``): a large
    output (an access package's page) is never one string."""
    return environment().get_template(template).generate(**_branded(context))


def _branded(context: dict[str, Any]) -> dict[str, Any]:
    if "brand" not in context:
        from ombud.web.brand import PageBrand, last_seen

        name = context.get("org_name")
        context["brand"] = PageBrand(name=name) if name else last_seen()
    return context


def render_in(language: str, template: str, **context: Any) -> str:
    """Render one template in ``language`` (English where its catalog lacks a string)."""
    with i18n.use(language):
        return render(template, **context)


def render_error_page(status: int, message: str) -> str:
    """Render the page shown for an error in a browser."""
    title = i18n.gettext("Error {status}").format(status=status)
    return render("error.html", title=title, status=status, message=message)
