// The API docs page: Swagger UI (static/vendor/, from npm at set-up) over the app's own
// OpenAPI document. A file, not an inline script, so the page keeps its CSP.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") return;
  window.SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    deepLinking: true,
    tryItOutEnabled: false,
    validatorUrl: null, // no call to swagger.io's validator: the page works offline
  });
});
