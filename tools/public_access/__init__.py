"""Public/portal access family (`public_access_*`): portal pages, exports, reports, files, shop, sitemap."""

from tools.public_access import tools

__all__ = ["tools"]
