// The permission checklist: a module's box ticks or clears all of its (enabled) actions and
// shows mixed state; each module shows "3 of 8" and collapses or expands (all expanded
// without JavaScript).
(function () {
  function boxes(root, module) {
    return root.querySelectorAll('input[name="perm"][data-module="' + module + '"]');
  }
  function sync(root, module) {
    var all = boxes(root, module);
    var toggle = root.querySelector('.module-toggle[data-module="' + module + '"]');
    var count = root.querySelector('[data-count="' + module + '"]');
    var on = 0;
    all.forEach(function (b) { if (b.checked) on++; });
    if (count) count.textContent = on + ' of ' + all.length;
    if (!toggle) return;
    toggle.checked = on === all.length && all.length > 0;
    toggle.indeterminate = on > 0 && on < all.length;
  }
  document.querySelectorAll('[data-checklist]').forEach(function (root) {
    var controls = [];
    root.querySelectorAll('.module-toggle').forEach(function (t) {
      var module = t.dataset.module;
      sync(root, module);
      t.addEventListener('change', function () {
        boxes(root, module).forEach(function (b) { if (!b.disabled) b.checked = t.checked; });
        sync(root, module);
      });
      var actions = document.getElementById('actions-' + module);
      if (!actions) return;
      var fold = document.createElement('button');
      fold.type = 'button';
      fold.className = 'link module-fold';
      fold.setAttribute('aria-controls', actions.id);
      function show(open) {
        actions.hidden = !open;
        fold.setAttribute('aria-expanded', open ? 'true' : 'false');
        fold.textContent = open ? 'Collapse' : 'Expand';
      }
      show(true);
      fold.addEventListener('click', function () { show(actions.hidden); });
      t.closest('legend').appendChild(fold);
      controls.push(show);
    });
    root.querySelectorAll('input[name="perm"]').forEach(function (b) {
      b.addEventListener('change', function () { sync(root, b.dataset.module); });
    });
    if (controls.length > 1) {
      var bar = document.createElement('p');
      bar.className = 'checklist-folds';
      [['Collapse all', false], ['Expand all', true]].forEach(function (c) {
        var btn = document.createElement('button');
        btn.type = 'button';
        btn.className = 'link';
        btn.textContent = c[0];
        btn.addEventListener('click', function () { controls.forEach(function (show) { show(c[1]); }); });
        bar.appendChild(btn);
      });
      root.insertBefore(bar, root.firstChild);
    }
  });
})();
