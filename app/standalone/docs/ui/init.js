// Starts Swagger UI on the page served at /docs. Kept out of the HTML so that
// the page's Content-Security-Policy can forbid inline scripts.
(function () {
  "use strict";
  var el = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    // Relative to the page, so it also works behind a path prefix.
    url: el.getAttribute("data-spec-url"),
    domNode: el,
    deepLinking: true,
    // The default would load a badge from validator.swagger.io.
    validatorUrl: null,
    // No top bar: the page shows this service's document only.
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    tryItOutEnabled: false,
    displayRequestDuration: true,
    persistAuthorization: false
  });
})();
