// The recovery codes page: copy the codes, or download them as a text file, so they are kept
// somewhere safe before the page goes (they are shown only once). Without JavaScript the codes
// stay on the page to be written down or selected by hand.
(function () {
  var list = document.getElementById('recovery-codes');
  var bar = document.getElementById('recovery-actions');
  if (!list || !bar) return;
  var codes = Array.prototype.map.call(list.querySelectorAll('code'), function (c) { return c.textContent; });
  var text = 'Custodian recovery codes: each signs you in once.\n' + codes.join('\n') + '\n';
  var status = document.getElementById('recovery-status');
  bar.hidden = false;
  document.getElementById('recovery-copy').addEventListener('click', function () {
    if (!navigator.clipboard) { status.textContent = 'Your browser cannot copy here: select the codes and copy them.'; return; }
    navigator.clipboard.writeText(text).then(
      function () { status.textContent = 'Copied ' + codes.length + ' codes.'; },
      function () { status.textContent = 'Could not copy: select the codes and copy them.'; });
  });
  document.getElementById('recovery-download').addEventListener('click', function () {
    var a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    a.download = 'custodian-recovery-codes.txt';
    document.body.appendChild(a);
    a.click();
    a.remove();
    status.textContent = 'Downloaded custodian-recovery-codes.txt.';
  });
})();
