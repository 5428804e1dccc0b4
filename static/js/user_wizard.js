// User wizard step 2: changing the role or the presets re-draws the checklist at once.
(function () {
  var refresh = document.getElementById('wizard-refresh');
  if (!refresh) return;
  document.querySelectorAll('[data-autorefresh]').forEach(function (el) {
    el.addEventListener('change', function () { refresh.click(); });
  });
})();

// Enter in "Preset name" saves the preset (the form's first button would only refresh).
(function () {
  var name = document.getElementById('f-preset_name');
  var save = document.getElementById('wizard-save-as-new');
  if (!name || !save) return;
  name.addEventListener('keydown', function (e) {
    if (e.key === 'Enter') { e.preventDefault(); save.click(); }
  });
})();

// A box ticked or cleared against what the presets give is marked as an override at once (the
// server marks it the same way when the page is drawn again).
(function () {
  var form = document.getElementById('wizard-permissions');
  if (!form) return;
  function mark(box) {
    var label = box.closest('label');
    if (!label) return;
    var base = box.dataset.fromPresets === 'true';
    var kind = box.checked && !base ? 'grant' : (!box.checked && base ? 'revoke' : '');
    label.classList.remove('override-grant', 'override-revoke');
    var em = label.querySelector('em.mark');
    if (!kind) { if (em) em.remove(); return; }
    label.classList.add('override-' + kind);
    if (!em) {
      em = document.createElement('em');
      em.className = 'mark';
      label.appendChild(document.createTextNode(' '));
      label.appendChild(em);
    }
    em.textContent = kind === 'grant' ? '(granted for this user)' : '(revoked for this user)';
  }
  // A module's box changes its actions without their own change events: mark them all.
  form.addEventListener('change', function (e) {
    if (!e.target.matches('[data-checklist] input[type="checkbox"]')) return;
    form.querySelectorAll('input[name="perm"][data-from-presets]').forEach(mark);
  });
})();
