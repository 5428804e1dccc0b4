// "Select all on this page": a header box marked data-select-all="<name>" ticks or clears every
// checkbox of that name in its form, and shows mixed state. Hidden without JavaScript.
(function () {
  document.querySelectorAll('input[data-select-all]').forEach(function (all) {
    var form = all.form || all.closest('form');
    if (!form) return;
    var boxes = form.querySelectorAll('input[type="checkbox"][name="' + all.dataset.selectAll + '"]');
    function sync() {
      var on = 0;
      boxes.forEach(function (b) { if (b.checked) on++; });
      all.checked = on === boxes.length && on > 0;
      all.indeterminate = on > 0 && on < boxes.length;
    }
    all.hidden = false;
    all.addEventListener('change', function () {
      boxes.forEach(function (b) { b.checked = all.checked; });
      sync();
    });
    boxes.forEach(function (b) { b.addEventListener('change', sync); });
    sync();
  });
})();
