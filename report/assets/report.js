(function () {
  'use strict';
  var tip = document.getElementById('tip');
  function rt_ms(ns) { return (Number(ns) / 1e6).toFixed(3) + ' ms'; }
  function show(ev, title, lines) {
    while (tip.firstChild) tip.removeChild(tip.firstChild);
    var b = document.createElement('b');
    b.textContent = title;
    tip.appendChild(b);
    lines.forEach(function (l) { var d = document.createElement('div'); d.textContent = l; tip.appendChild(d); });
    tip.hidden = false;
    var x = ev.clientX + 14, y = ev.clientY + 14;
    if (x + tip.offsetWidth > window.innerWidth - 4) x = Math.max(4, ev.clientX - tip.offsetWidth - 10);
    if (y + tip.offsetHeight > window.innerHeight - 4) y = Math.max(4, ev.clientY - tip.offsetHeight - 10);
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }
  function hide() { tip.hidden = true; }
  function highlight(n) {
    document.querySelectorAll('.hl').forEach(function (e) { e.classList.remove('hl'); });
    var bar = document.getElementById('phase-' + n), row = document.getElementById('row-' + n);
    if (bar) bar.classList.add('hl');
    if (row) row.classList.add('hl');
    return row;
  }
  document.querySelectorAll('#timeline rect.phase').forEach(function (r) {
    var d = r.dataset;
    r.addEventListener('mousemove', function (ev) {
      show(ev, d.name, ['start +' + rt_ms(d.startNs) + ', duration ' + rt_ms(d.durNs),
        d.syscalls + ' syscalls, ' + rt_ms(d.sysNs) + ' in syscalls', 'click: highlight its row']);
    });
    r.addEventListener('mouseleave', hide);
    r.addEventListener('click', function () {
      var row = highlight(d.row);
      if (row && row.scrollIntoView) row.scrollIntoView({ block: 'nearest' });
    });
  });
  document.querySelectorAll('#phase-table tr.phase-row').forEach(function (row) {
    row.addEventListener('click', function () { highlight(row.dataset.row); });
  });
  document.querySelectorAll('#layout rect.map').forEach(function (m) {
    var d = m.dataset;
    m.addEventListener('mousemove', function (ev) {
      show(ev, d.kind + (d.path ? ' \u2014 ' + d.path : ''), [d.start + '\u2013' + d.end + '  ' + d.perms, d.size]);
    });
    m.addEventListener('mouseleave', hide);
  });
  document.documentElement.setAttribute('data-js', 'ready');
})();
