// User wizard step 2: changing the role or the presets re-draws the checklist at once.
(function () {
  var refresh = document.getElementById('wizard-refresh');
  if (!refresh) return;
  document.querySelectorAll('[data-autorefresh]').forEach(function (el) {
    el.addEventListener('change', function () { refresh.click(); });
  });
})();
