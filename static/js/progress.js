// A page of work going on in the background (an import, a bulk run): polls the address in
// data-progress-url (JSON: running, line, percent) every second, updates the text and the bar
// inside the live region, and reloads the page for its report once the work has ended. No
// meta refresh: the page does not jump while someone reads it.
(function () {
  var region = document.querySelector('[data-progress-url]');
  if (!region) return;
  var text = region.querySelector('[data-progress-text]');
  var bar = region.querySelector('progress');
  function poll() {
    fetch(region.dataset.progressUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!p) return setTimeout(poll, 3000);
        if (!p.running) return window.location.reload();
        if (text && text.textContent !== p.line) text.textContent = p.line;
        if (bar) { bar.value = p.percent; bar.textContent = p.percent + '%'; }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
