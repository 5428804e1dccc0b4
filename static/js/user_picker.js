// User pickers: an email field marked data-user-picker gets suggestions as you type part of a
// name or email, from /users/pick (the signed-in user's session). Without JavaScript the field
// is a plain email field and the server checks what was typed. A field that takes several
// emails (multiple) suggests for the one being typed after the last comma and keeps the others.
(function () {
  document.querySelectorAll('input[data-user-picker]').forEach(function (input) {
    var list = document.createElement('datalist');
    list.id = input.id + '-matches';
    input.setAttribute('list', list.id);
    input.setAttribute('autocomplete', 'off');
    input.insertAdjacentElement('afterend', list);
    var timer = null;
    var asked = '';
    // [the emails already typed (with their comma), the one being typed]
    var split = function () {
      var v = input.value;
      var i = input.multiple ? v.lastIndexOf(',') : -1;
      return i < 0 ? ['', v] : [v.slice(0, i + 1) + ' ', v.slice(i + 1)];
    };
    input.addEventListener('input', function () {
      clearTimeout(timer);
      var typed = split();
      var q = typed[1].trim();
      if (q === '' || q === asked) return;
      timer = setTimeout(function () {
        asked = q;
        fetch('/users/pick?q=' + encodeURIComponent(q), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
          .then(function (r) { return r.ok ? r.json() : { users: [] }; })
          .then(function (data) {
            if (asked !== q) return;
            list.replaceChildren();
            data.users.forEach(function (u) {
              var o = document.createElement('option');
              o.value = typed[0] + u.email;
              o.label = u.name + ' (' + u.email + ')';
              o.textContent = u.name;
              list.appendChild(o);
            });
          })
          .catch(function () { /* suggestions are a convenience: the field still works */ });
      }, 150);
    });
  });
})();
