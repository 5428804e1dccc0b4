// At phone width the main navigation folds into a "Menu" button (see custodian.css).
(function () {
  var nav = document.querySelector('.mainnav');
  if (!nav) return;
  var list = nav.querySelector('ul');
  list.id = list.id || 'mainnav-list';
  var button = document.createElement('button');
  button.type = 'button';
  button.className = 'nav-toggle';
  button.textContent = 'Menu';
  button.setAttribute('aria-controls', list.id);
  function fold(folded) {
    nav.classList.toggle('folded', folded);
    button.setAttribute('aria-expanded', folded ? 'false' : 'true');
  }
  button.addEventListener('click', function () { fold(!nav.classList.contains('folded')); });
  nav.insertBefore(button, list);
  fold(true);
})();
