"""The stylesheet and script inlined into the `factory status --format html`
page (render.status_html): the page must work offline, so nothing is linked."""

CSS = """
*{box-sizing:border-box}
body{
  margin:0;
  font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
  color:#212529;
  background:#f8f9fa;
}
header{padding:16px 24px;background:#fff;border-bottom:1px solid #dee2e6}
h1{margin:0;font-size:20px}
.sub{margin:4px 0 0;color:#495057}
.legend{
  display:flex;
  flex-wrap:wrap;
  gap:6px 14px;
  padding:10px 24px;
  background:#fff;
  border-bottom:1px solid #dee2e6;
  font-size:12px;
}
.legend span{display:inline-flex;align-items:center;gap:5px}
.legend i{
  display:inline-block;
  width:16px;
  height:16px;
  border-radius:2px;
  font:bold 11px/16px ui-monospace,monospace;
  font-style:normal;
  text-align:center;
}
main{display:flex;gap:20px;padding:16px 24px;align-items:flex-start}
.grid{
  background:#fff;
  border:1px solid #dee2e6;
  border-radius:6px;
  padding:12px 14px;
  overflow-x:auto;
  flex:1 1 auto;
}
.row{display:flex;align-items:center;margin:3px 0}
.name{
  width:270px;
  flex:none;
  position:sticky;
  left:-14px;
  z-index:1;
  padding-left:14px;
  margin-left:-14px;
  background:#fff;
  line-height:20px;
  box-shadow:0 -3px 0 #fff,0 3px 0 #fff;
  font-family:ui-monospace,SFMono-Regular,Menlo,monospace;
  font-size:12px;
  white-space:nowrap;
  overflow:hidden;
  text-overflow:ellipsis;
}
.name small{color:#868e96;margin-left:6px}
.bar{display:flex;gap:2px}
.cell{
  width:16px;
  height:20px;
  border:0;
  border-radius:2px;
  padding:0;
  cursor:pointer;
  font:bold 11px/20px ui-monospace,monospace;
  text-align:center;
}
.cell.week{margin-left:5px}
.cell:focus{outline:2px solid #1c7ed6;outline-offset:1px}
.cell.sel{outline:3px solid #212529;outline-offset:1px}
.cell.appr{box-shadow:inset 0 -4px 0 #CC79A7}
.axis{align-items:flex-end;margin-bottom:4px}
.axis .name{align-self:stretch;display:flex;align-items:flex-end;color:#868e96;font-size:11px}
.axis .tick{
  display:flex;
  flex-direction:column;
  align-items:center;
  width:16px;
  font:10px/12px ui-monospace,monospace;
  color:#495057;
  white-space:nowrap;
}
.axis .tick.week{margin-left:5px}
.axis .tick b{height:12px;align-self:flex-start;font-weight:700;color:#212529}
.axis .tick small{font-size:9px;color:#868e96}
.axis .tick.weekend{background:#e9ecef;border-radius:2px}
.section{
  position:sticky;
  left:0;
  margin:12px 0 4px;
  font-size:12px;
  font-weight:600;
  color:#495057;
  text-transform:uppercase;
  letter-spacing:.04em;
}
.chips{display:flex;flex-wrap:wrap;gap:6px}
.chip{
  display:inline-flex;
  align-items:center;
  gap:6px;
  border:1px solid #dee2e6;
  border-radius:12px;
  padding:2px 10px 2px 4px;
  background:#fff;
  cursor:pointer;
  font:12px ui-monospace,monospace;
}
.chip .cell{width:14px;height:14px;line-height:14px}
aside{
  width:420px;
  flex:none;
  min-width:0;
  overflow-wrap:anywhere;
  background:#fff;
  border:1px solid #dee2e6;
  border-radius:6px;
  padding:14px 16px;
  position:sticky;
  top:12px;
}
aside h2{margin:0 0 6px;font-size:16px;font-family:ui-monospace,monospace}
.badge{
  display:inline-block;
  padding:1px 8px;
  border-radius:10px;
  color:#fff;
  font-size:12px;
  font-weight:600;
}
dl{display:grid;grid-template-columns:120px 1fr;gap:4px 10px;margin:10px 0;font-size:13px}
dt{color:#868e96}
dd{margin:0;overflow-wrap:anywhere}
ul{margin:4px 0 8px;padding-left:18px}
li{margin:2px 0;overflow-wrap:anywhere}
code{font:12px ui-monospace,monospace;background:#f1f3f5;padding:0 3px;border-radius:3px}
.muted{color:#868e96}
aside a{color:#0072B2}
.root{margin:4px 0 8px;padding:6px 8px;border-left:3px solid #0072B2;background:#f1f3f5}
.root ul{margin:2px 0 0}
.warn{border-left-color:#E69F00}
"""

JS = """
(function () {
  var data = JSON.parse(document.getElementById('grid-data').textContent);
  var panel = document.getElementById('details');

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== null && text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }
  function field(dl, label, value) {
    if (value === null || value === undefined || value === '') return;
    dl.appendChild(el('dt', label));
    dl.appendChild(el('dd', String(value)));
  }
  function list(title, entries) {
    var part = document.createDocumentFragment();
    if (!entries || !entries.length) return part;
    part.appendChild(el('div', title, 'section'));
    var ul = el('ul');
    entries.forEach(function (entry) {
      var li = el('li');
      if (entry instanceof Node) li.appendChild(entry); else li.textContent = entry;
      ul.appendChild(li);
    });
    part.appendChild(ul);
    return part;
  }
  function reason(code, text) {
    var span = el('span');
    span.appendChild(el('code', code));
    span.appendChild(document.createTextNode(' ' + text));
    return span;
  }
  function approval(a) {
    return a.consumer + ': approved by ' + a.approved_by + ' at ' + a.approved_at + ' (' +
      (a.active ? 'applies now' : 'no longer applies') + '): ' + a.reason;
  }
  function link(href, text) {
    var a = el('a', text);
    a.href = href;
    return a;
  }
  function roots(item) {
    var part = document.createDocumentFragment();
    if (!item.roots.length) return part;
    part.appendChild(el('div', 'root cause', 'section'));
    item.roots.forEach(function (root) {
      var box = el('div', null, 'root');
      box.appendChild(link('#' + root.key, root.text));
      if (root.why.length) {
        var ul = el('ul');
        root.why.forEach(function (why) { ul.appendChild(el('li', why)); });
        box.appendChild(ul);
      }
      part.appendChild(box);
    });
    return part;
  }
  function warnings(item) {
    var part = document.createDocumentFragment();
    if (!item.warnings.length) return part;
    part.appendChild(el('div', 'warnings (advisory, do not block)', 'section'));
    var box = el('div', null, 'root warn');
    var ul = el('ul');
    item.warnings.forEach(function (text) { ul.appendChild(el('li', text)); });
    box.appendChild(ul);
    part.appendChild(box);
    return part;
  }
  function showCell(item, dl) {
    var c = item.cell, k = c.checks;
    panel.appendChild(roots(item));
    panel.appendChild(warnings(item));
    field(dl, 'status', c.status);
    field(dl, 'consumable', c.consumable ? 'yes' : 'no');
    field(dl, 'rows', c.rows === null || c.rows === undefined ? null : c.rows.toLocaleString('en'));
    field(dl, 'last materialized', c.materialized_at);
    field(dl, 'run id', c.run_id);
    if (item.evidence_href) {
      dl.appendChild(el('dt', 'evidence'));
      var dd = el('dd');
      var a = link(item.evidence_href, decodeURI(item.evidence_href));
      a.title = c.evidence;
      a.className = 'evidence';
      dd.appendChild(a);
      dl.appendChild(dd);
    }
    field(dl, 'code checksum', c.code_checksum ? c.code_checksum.slice(0, 16) : null);
    if (c.reads_window_days) field(dl, 'reads window', c.reads_window_days + ' day(s) back');
    field(dl, 'checks', k.passed + ' passed, ' + k.warned + ' warned, ' + k.failed + ' failed, ' +
      k.errored + ' errored, ' + k.not_run + ' not run');
    panel.appendChild(dl);
    panel.appendChild(list('reasons', (c.reason_details || []).map(function (r) {
      return reason(r.code, r.text);
    })));
    panel.appendChild(list('blocking checks (error severity)', k.blocking));
    panel.appendChild(list('approvals', (c.approvals || []).map(approval)));
  }
  function showDecision(d, dl) {
    field(dl, 'consumer', d.consumer);
    field(dl, 'day', d.partition);
    field(dl, 'decision', d.decision);
    field(dl, 'approved by', d.approved_by);
    panel.appendChild(dl);
    function asReason(r) { return reason(r.code, r.text); }
    panel.appendChild(list('reasons', d.details.map(asReason)));
    panel.appendChild(list('overridden block', d.overridden.map(asReason)));
    if (!d.details.length) {
      panel.appendChild(el('p', 'Every asset it needs is consumable.', 'muted'));
    }
  }
  function render(item) {
    panel.textContent = '';
    panel.appendChild(el('h2', item.title));
    var badge = el('span', item.label, 'badge');
    var looks = data.colours[item.kind] || ['#868e96', '#fff'];
    badge.style.background = looks[0];
    badge.style.color = looks[1];
    panel.appendChild(badge);
    if (item.type === 'cell') showCell(item, el('dl'));
    else showDecision(item.decision, el('dl'));
  }
  function select(button) {
    document.querySelectorAll('.cell.sel').forEach(function (b) { b.classList.remove('sel'); });
    button.classList.add('sel');
    render(data.items[+button.dataset.i]);
    if (history.replaceState) history.replaceState(null, '', '#' + button.dataset.key);
  }
  document.querySelectorAll('button.cell').forEach(function (button) {
    button.addEventListener('click', function (event) { event.stopPropagation(); select(button); });
  });
  document.querySelectorAll('.chip').forEach(function (chip) {
    chip.addEventListener('click', function () { select(chip.querySelector('.cell')); });
  });
  function fromHash() {
    if (location.hash.length < 2) return;
    var key = decodeURIComponent(location.hash.slice(1));
    var buttons = document.querySelectorAll('button.cell');
    for (var i = 0; i < buttons.length; i++) {
      if (buttons[i].dataset.key === key) {
        select(buttons[i]);
        buttons[i].scrollIntoView({block: 'nearest', inline: 'nearest'});
        break;
      }
    }
  }
  window.addEventListener('hashchange', fromHash);  // a root cause's link selects its cell
  fromHash();
})();
"""
