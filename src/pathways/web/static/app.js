// What the pages once did in inline attributes, which the Content-Security-Policy forbids
// (scripts come only from the site's own files): one listener each, on the whole document.

// <select data-autosubmit>: choosing an option sends its form (language, dashboard organisation).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && "autosubmit" in field.dataset && field.form) {
    field.form.submit();
  }
});

// <a data-back href="/">: back to the previous page when there is one, else follow the link.
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a[data-back]") : null;
  if (link && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});

// <details class="menu">: the menu is a button on phones and the whole bar on wide screens (app.css
// shows a closed menu's content there through ::details-content; older browsers get it opened here).
// Escape closes the folded menu and gives the focus back to its button.
const menu = document.querySelector("details.menu");
if (menu) {
  const wide = window.matchMedia("(min-width: 64rem)");
  if (wide.matches && !CSS.supports("selector(::details-content)")) {
    menu.open = true;
  }
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && menu.open && !wide.matches) {
      menu.open = false;
      menu.querySelector("summary")?.focus();
    }
  });
}

// A refused decision form: its summary of errors takes the focus, so a screen reader reads it first
// and each of its links leads to the field concerned.
document.querySelector("[data-error-summary]")?.focus();
// Each of its links moves the focus to its field (a link to an id only scrolls there), and brings
// the field's label into view with it.
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest(".error-summary a[href^='#']") : null;
  const field = link ? document.getElementById(link.getAttribute("href").slice(1)) : null;
  if (field) {
    event.preventDefault();
    (field.closest(".field") || field).scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  }
});

// A list wider than a phone scrolls inside its own box (.table-scroll, or a table.list without
// data-label cells, app.css): such a box takes the keyboard focus, so that it can be scrolled without a
// mouse, and is named after its table's caption or its section's heading (WCAG 2.1.1; axe-core's
// scrollable-region-focusable). A box that no longer scrolls gives the focus back.
function focusableScrollers() {
  for (const box of document.querySelectorAll(".table-scroll, table.list")) {
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.tabIndex = 0;
      box.dataset.scroller = "";
      if (box.tagName === "DIV") {
        const title = box.querySelector("caption") || box.closest("section, figure")?.querySelector("h2, h3");
        box.setAttribute("role", "region");
        if (title) box.setAttribute("aria-label", title.textContent.trim());
      }
    } else if (!scrolls && "scroller" in box.dataset) {
      box.removeAttribute("tabindex");
      delete box.dataset.scroller;
    }
  }
}
focusableScrollers();
let resizing = 0;
window.addEventListener("resize", () => {
  clearTimeout(resizing);
  resizing = setTimeout(focusableScrollers, 150);
});
document.addEventListener("htmx:afterSettle", focusableScrollers);
