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
