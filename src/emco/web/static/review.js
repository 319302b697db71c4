// Keyboard shortcuts of the review page (no framework, no inline code: the CSP allows only
// scripts served from /static). Any element with data-key="x" is clicked when x is pressed:
// s, n, u decide (same, not the same, unsure); j, k go to the next and previous pair.
// Keys are text while the reason field has the focus; there Enter and Escape leave the
// field (Enter never submits the form: that would decide "same person", its first button).
(function () {
  "use strict";
  var busy = false;
  var form = document.getElementById("decide");
  if (form) {
    // Set only when the form really goes (a reason left empty stops it before).
    form.addEventListener("submit", function () { busy = true; });
    var reason = form.querySelector("#reason");
    if (reason) {
      reason.addEventListener("keydown", function (event) {
        if (event.isComposing) return;
        if (event.key === "Enter" || event.key === "Escape") {
          event.preventDefault();
          reason.blur();
        }
      });
    }
  }
  // Back to this page from the next one: the form may be used again.
  window.addEventListener("pageshow", function () { busy = false; });
  document.addEventListener("keydown", function (event) {
    if (busy || event.defaultPrevented || event.repeat) return;
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    var target = event.target;
    if (target && (target.isContentEditable ||
                   /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    if (!/^[a-z]$/.test(event.key)) return;
    var element = document.querySelector('[data-key="' + event.key + '"]');
    if (!element) return;
    event.preventDefault();
    element.click();  // a decision: the form's submit event sets busy
  });
})();
