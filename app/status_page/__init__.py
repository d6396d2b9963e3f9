"""A subscriber's private status page (`/status/<token>`) and one-click unsubscribe.

Nothing here is public: every page needs a signed link from a notice (see `app.links`), and
every answer tells shared caches, search engines and the next site's Referer to keep away.
"""

from app.status_page.views import bp

__all__ = ["bp"]
