/* Tide CRM shell behaviour: CSRF for htmx, error swapping, bulk selection, toasts. */
(function () {
  function csrfToken() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRFToken"] = csrfToken();
  });
  if (window.htmx) {
    // Swap error answers too: the server retargets them to the toast area.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "[45]..", swap: true, error: true },
    ];
  }
  // Toasts fade out by themselves.
  document.addEventListener("htmx:afterSwap", function () { armToasts(); });
  function armToasts() {
    document.querySelectorAll("#toasts .alert:not([data-armed])").forEach(function (el) {
      el.setAttribute("data-armed", "1");
      setTimeout(function () { el.remove(); }, 5000);
    });
  }
  document.addEventListener("DOMContentLoaded", armToasts);
})();

/* Alpine component for list pages: checkbox selection with "已选择 N 条". */
function tideList() {
  return {
    selected: [],
    get count() { return this.selected.length; },
    toggleAll(event) {
      var boxes = this.$root.querySelectorAll("input[data-row-id]");
      this.selected = event.target.checked ? Array.from(boxes).map(function (b) { return b.value; }) : [];
    },
    clear() { this.selected = []; },
  };
}
/* SMS code button with a 60-second countdown (TEN-02). */
function codeButton() {
  return {
    wait: 0,
    start() {
      var self = this;
      self.wait = 60;
      var timer = setInterval(function () { self.wait -= 1; if (self.wait <= 0) clearInterval(timer); }, 1000);
    },
  };
}
