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

/* Employee picker (components/employee_picker.html): the page holds only the chosen employee(s);
   typing asks the server (debounced) for up to 20 matches, shown with their department.
   ↑ ↓ move, Enter picks, Esc closes; a choice sets the hidden input(s) named like the field and
   fires "change" on it, so forms, htmx filters and modals read the same name/value as before. */
function tideEmployeePicker(root) {
  var input = root.querySelector("[data-picker-input]");
  var menu = root.querySelector("[data-picker-menu]");
  var hidden = root.querySelector("[data-picker-value]");
  var chips = root.querySelector("[data-picker-chips]");
  var multiple = root.hasAttribute("data-multiple");
  var results = [];
  var active = -1;
  var timer = null;
  var asked = 0;

  function chosenIds() {
    if (!multiple) return hidden.value ? [hidden.value] : [];
    return Array.from(chips.querySelectorAll("input")).map(function (i) { return i.value; });
  }
  function open() { menu.classList.add("show"); input.setAttribute("aria-expanded", "true"); }
  function close() {
    menu.classList.remove("show");
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }
  function note(text) {
    menu.innerHTML = "";
    var line = document.createElement("div");
    line.className = "dropdown-item-text text-secondary small";
    line.textContent = text;
    menu.appendChild(line);
    open();
  }
  function render() {
    menu.innerHTML = "";
    if (!results.length) { note(root.dataset.emptyText); return; }
    results.forEach(function (person, index) {
      var item = document.createElement("div");
      item.className = "dropdown-item d-block text-wrap" + (index === active ? " active" : "");
      item.id = input.id + "-option-" + index;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", index === active ? "true" : "false");
      item.dataset.index = index;
      var name = document.createElement("div");
      name.textContent = person.name + (person.resigned ? "（" + root.dataset.resignedText + "）" : "");
      item.appendChild(name);
      if (person.department) {
        var department = document.createElement("div");
        department.className = "small text-secondary";
        department.textContent = person.department;
        item.appendChild(department);
      }
      menu.appendChild(item);
    });
    if (active >= 0) input.setAttribute("aria-activedescendant", input.id + "-option-" + active);
    open();
  }
  function search() {
    var q = multiple || input.value !== (hidden && hidden.dataset.label) ? input.value.trim() : "";
    var url = root.dataset.url + "?q=" + encodeURIComponent(q) + (root.hasAttribute("data-resigned") ? "&resigned=1" : "");
    var ticket = ++asked;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        if (ticket !== asked || document.activeElement !== input) return;
        var taken = chosenIds();
        results = data.results.filter(function (p) { return taken.indexOf(String(p.id)) < 0; });
        if (!q && root.hasAttribute("data-clearable")) results.unshift({ id: "", name: input.placeholder, department: "" });
        active = q && results.length ? 0 : -1; // nothing typed: Enter still submits the form
        render();
      })
      .catch(function () { if (ticket === asked) note(root.dataset.errorText); });
  }
  function later() { clearTimeout(timer); timer = setTimeout(search, 250); }
  function changed(target) { target.dispatchEvent(new Event("change", { bubbles: true })); }
  function pick(person) {
    if (multiple) {
      if (person.id !== "") chips.appendChild(chip(person));
      input.value = "";
      changed(root);
    } else {
      hidden.value = person.id;
      hidden.dataset.label = person.id === "" ? "" : person.name;
      input.value = hidden.dataset.label;
      changed(hidden);
    }
    close();
  }
  function chip(person) {
    var span = document.createElement("span");
    span.className = "badge bg-blue-lt d-inline-flex align-items-center gap-1";
    span.setAttribute("data-picker-chip", "");
    var label = document.createElement("span");
    label.textContent = person.name;
    var value = document.createElement("input");
    value.type = "hidden";
    value.name = root.dataset.name;
    value.value = person.id;
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "btn-close";
    remove.style.width = remove.style.height = ".5rem";
    remove.setAttribute("aria-label", root.dataset.removeText + " " + person.name);
    span.append(label, value, remove);
    return span;
  }
  // Keep what the box shows true to the choice: a half-typed name that was not picked goes
  // away on leaving; an emptied single box means "no choice".
  function settle() {
    close();
    if (multiple) { input.value = ""; return; }
    if (!input.value.trim() && hidden.value) { hidden.value = ""; hidden.dataset.label = ""; changed(hidden); }
    input.value = hidden.dataset.label || "";
  }

  input.addEventListener("focus", later);
  input.addEventListener("input", later);
  input.addEventListener("blur", settle);
  // The box itself carries no value: its own change must not look like a field change.
  input.addEventListener("change", function (e) { e.stopPropagation(); });
  input.addEventListener("keydown", function (e) {
    var shown = menu.classList.contains("show") && results.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!shown) { search(); return; }
      active = (active + (e.key === "ArrowDown" ? 1 : results.length - 1)) % results.length;
      render();
      var current = menu.children[active];
      if (current && current.scrollIntoView) current.scrollIntoView({ block: "nearest" });
    } else if (e.key === "Enter" && shown && active >= 0) {
      e.preventDefault();
      pick(results[active]);
    } else if (e.key === "Escape" && menu.classList.contains("show")) {
      e.preventDefault(); // handled: the modal under it stays open
      close();
    } else if (e.key === "Backspace" && multiple && !input.value && chips.lastElementChild) {
      chips.lastElementChild.remove();
      changed(root);
    }
  });
  // mousedown would blur the box before the click lands (touch too: it follows touchend).
  menu.addEventListener("mousedown", function (e) { e.preventDefault(); });
  menu.addEventListener("click", function (e) {
    var item = e.target.closest("[data-index]");
    if (item) pick(results[Number(item.dataset.index)]);
  });
  if (chips) chips.addEventListener("click", function (e) {
    if (!e.target.closest(".btn-close")) return;
    e.target.closest("[data-picker-chip]").remove();
    changed(root);
  });
  if (document.activeElement === input) later(); // focused before it was armed
}
(function () {
  function arm(scope) {
    scope.querySelectorAll("[data-employee-picker]:not([data-armed])").forEach(function (root) {
      root.setAttribute("data-armed", "1");
      tideEmployeePicker(root);
    });
  }
  // Pages, and whatever htmx swaps in later (modals, drawers, refreshed forms); a box focused
  // in the moment between a swap and htmx's load event arms itself.
  if (window.htmx) htmx.onLoad(arm);
  else document.addEventListener("DOMContentLoaded", function () { arm(document); });
  document.addEventListener("focusin", function (e) {
    var root = e.target.closest && e.target.closest("[data-employee-picker]");
    if (root) arm(root.parentNode);
  });
})();
