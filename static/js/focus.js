// A form whose page exists to fill it in (data-focus) starts with the cursor in it: in the
// first field the server refused, else in its first field. Keyboard and screen-reader users
// land where the page's purpose is, without a click.
(function () {
  var form = document.querySelector('form[data-focus]');
  if (!form) return;
  var field = form.querySelector('[aria-invalid="true"]') ||
    form.querySelector('input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])');
  if (field) field.focus();
})();
