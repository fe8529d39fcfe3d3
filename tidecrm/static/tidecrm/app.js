/* Tide CRM shell behaviour: CSRF for htmx, error swapping, overlays (modal / drawer), bulk selection,
   toasts, the SMS code button. Components are documented at the top of templates/components/*.html. */
(function () {
  function csrfToken() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRFToken"] = csrfToken();
  });
  if (window.htmx) {
    // Swap error answers too: forms re-render with their messages (422) and refusals are
    // retargeted by the server to the toast area.
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

  // Overlays live in #modal-slot / #drawer-slot (base.html); closing one empties its slot.
  // Esc closes the topmost one; a server closes them with the HX-Trigger events below.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" || e.defaultPrevented) return;
    if (!tideCloseModal()) tideCloseDrawer();
  });
  // Deferred, so the other events of the same HX-Trigger header still bubble from the element
  // that asked (closing first would detach it).
  document.addEventListener("modal-close", function () { setTimeout(tideCloseModal); });
  document.addEventListener("drawer-close", function () { setTimeout(tideCloseDrawer); });
})();

function tideEmptySlot(id) {
  var slot = document.getElementById(id);
  if (!slot || !slot.firstElementChild) return false;
  slot.innerHTML = "";
  return true;
}
/* Close the open modal; return whether one was open. */
function tideCloseModal() { return tideEmptySlot("modal-slot"); }
/* Close the open detail drawer; return whether one was open. */
function tideCloseDrawer() { return tideEmptySlot("drawer-slot"); }

/* Alpine component for list pages: checkbox selection with "已选择 N 条" (components/bulk_bar.html).
   Row checkboxes: <input type="checkbox" name="ids" value="{{ row.pk }}" data-row-id x-model="selected">. */
function tideList() {
  return {
    selected: [],
    init() {
      // A page, filter or refresh swapped the rows: forget ids that are no longer shown.
      var self = this;
      this.$root.addEventListener("htmx:afterSettle", function () { self.prune(); });
    },
    get count() { return this.selected.length; },
    boxes() { return Array.from(this.$root.querySelectorAll("input[data-row-id]")); },
    get allChecked() { var total = this.boxes().length; return total > 0 && this.count === total; },
    get someChecked() { return this.count > 0 && !this.allChecked; },
    toggleAll(event) {
      this.selected = event.target.checked ? this.boxes().map(function (b) { return b.value; }) : [];
    },
    prune() {
      var shown = this.boxes().map(function (b) { return b.value; });
      this.selected = this.selected.filter(function (id) { return shown.indexOf(id) >= 0; });
    },
    clear() { this.selected = []; },
  };
}

/* SMS code button (accounts/_code_button.html): counts down after the server says a code went out
   (HX-Trigger "code-wait" with {seconds}); a refused send leaves the button usable. */
function codeButton() {
  return {
    wait: 0,
    timer: null,
    start(seconds) {
      var self = this;
      clearInterval(self.timer);
      self.wait = seconds || 60;
      self.timer = setInterval(function () {
        self.wait -= 1;
        if (self.wait <= 0) clearInterval(self.timer);
      }, 1000);
    },
  };
}
