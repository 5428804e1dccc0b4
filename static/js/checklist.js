// A module's box ticks or clears all of its (enabled) actions, and shows mixed state.
(function () {
  function sync(root, module) {
    var boxes = root.querySelectorAll('input[name="perm"][data-module="' + module + '"]');
    var toggle = root.querySelector('.module-toggle[data-module="' + module + '"]');
    if (!toggle) return;
    var on = 0;
    boxes.forEach(function (b) { if (b.checked) on++; });
    toggle.checked = on === boxes.length && boxes.length > 0;
    toggle.indeterminate = on > 0 && on < boxes.length;
  }
  document.querySelectorAll('[data-checklist]').forEach(function (root) {
    root.querySelectorAll('.module-toggle').forEach(function (t) {
      sync(root, t.dataset.module);
      t.addEventListener('change', function () {
        root.querySelectorAll('input[name="perm"][data-module="' + t.dataset.module + '"]').forEach(function (b) {
          if (!b.disabled) b.checked = t.checked;
        });
        sync(root, t.dataset.module);
      });
    });
    root.querySelectorAll('input[name="perm"]').forEach(function (b) {
      b.addEventListener('change', function () { sync(root, b.dataset.module); });
    });
  });
})();
