"""`/docs`: Swagger UI over the merged `/openapi.json`, served from the `swagger-ui-bundle` package's
files so it works with no network (no CDN)."""
from __future__ import annotations

from flask import Blueprint, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from shared.errors import not_found

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>Commercial operations suite API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png" sizes="32x32">
  <style>html { box-sizing: border-box; overflow-y: scroll; } body { margin: 0; background: #fafafa; }</style>
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js" charset="UTF-8"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
  <script>
    window.onload = function () {
      window.ui = SwaggerUIBundle({
        url: "/openapi.json",
        dom_id: "#swagger-ui",
        deepLinking: true,
        validatorUrl: null,
        persistAuthorization: true,
        presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
        layout: "StandaloneLayout"
      });
    };
  </script>
</body>
</html>
"""

ASSETS = frozenset(
    {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png", "favicon-16x16.png"}
)


def docs_blueprint() -> Blueprint:
    blueprint = Blueprint("docs", __name__)

    @blueprint.get("/docs")
    def page() -> Response:
        return Response(PAGE, mimetype="text/html")

    @blueprint.get("/docs/assets/<name>")
    def asset(name: str) -> Response:
        if name not in ASSETS:
            raise not_found("asset")
        return send_from_directory(str(swagger_ui_path), name, max_age=86400)

    return blueprint
