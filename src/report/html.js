// lineage HTML report (src/report/html.rs): clicking a passage (in the
// text, the strip or the table) shows it on both sides; n / p (or j / k)
// step through the passages, Enter shows the focused one, Escape clears.
// The address then links to it (#pair-1-p4), and opening such a link
// shows that passage. Reads only the attributes the renderer wrote and
// the address's fragment (digits only); adds no content.
(function () {
  'use strict';
  var doc = document;

  // Scrolls el's text box (when it scrolls) so el sits a quarter down.
  function bring(el) {
    var closed = el.closest('details');
    if (closed && !closed.open) closed.open = true;
    var box = el.closest('.text');
    if (!box || getComputedStyle(box).overflowY === 'visible' ||
        box.scrollHeight <= box.clientHeight + 1) {
      return false;
    }
    var y = el.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop;
    box.scrollTop = Math.max(0, y - box.clientHeight / 4);
    return true;
  }

  function clear() {
    doc.querySelectorAll('.on, .sel').forEach(function (e) { e.classList.remove('on', 'sel'); });
  }

  // The address names the selected passage, without adding to history.
  function link(fragment) {
    try { history.replaceState(null, '', fragment || location.pathname); } catch (e) { /* file: in some browsers */ }
  }

  // Passage p of section sec on both sides; origin is what was clicked.
  function show(sec, p, origin) {
    clear();
    var sel = '[data-p~="' + p + '"]';
    sec.classList.add('sel');
    sec.querySelectorAll(sel).forEach(function (e) {
      e.classList.add('on');
      var row = e.closest('tr');
      if (row) row.classList.add('on');
    });
    var left = sec.querySelector('.derived ' + sel);
    var right = sec.querySelector('.source ' + sel);
    var boxed = false;
    if (left) boxed = bring(left) || boxed;
    if (right) boxed = bring(right) || boxed;
    link('#' + sec.id + '-p' + p);
    var fromText = origin && origin.closest && origin.closest('.sbs');
    if (boxed) {
      // Side by side: both boxes scrolled; bring them into view when the
      // click came from above them.
      var sbs = sec.querySelector('.sbs');
      var top = sbs.getBoundingClientRect().top;
      if (!fromText && (top < 0 || top > innerHeight * 0.6)) sbs.scrollIntoView({ block: 'start' });
    } else {
      // Stacked: show the other side of the one clicked.
      var target = origin && origin.closest && origin.closest('.derived') ? right : left;
      if (target) target.scrollIntoView({ block: 'center' });
    }
  }

  function activate(el, origin) {
    var sec = el.closest('section.pair');
    var p = (el.getAttribute('data-p') || '').split(' ')[0];
    if (sec && p) show(sec, p, origin);
  }

  doc.addEventListener('click', function (e) {
    var t = e.target.closest ? e.target.closest('[data-p]') : null;
    if (t) activate(t, t);
  });

  var marks = Array.prototype.slice.call(doc.querySelectorAll('.derived mark[tabindex]'));

  function step(by) {
    if (!marks.length) return;
    var i = marks.indexOf(doc.activeElement);
    if (i < 0) i = marks.indexOf(doc.querySelector('.derived mark.on[tabindex]'));
    var j = i < 0 ? (by > 0 ? 0 : marks.length - 1) : Math.min(marks.length - 1, Math.max(0, i + by));
    marks[j].focus({ preventScroll: true });
    activate(marks[j], null);
  }

  doc.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var t = e.target;
    if (e.key === 'n' || e.key === 'j') { step(1); e.preventDefault(); }
    else if (e.key === 'p' || e.key === 'k') { step(-1); e.preventDefault(); }
    else if (e.key === 'Escape') { clear(); link(''); }
    else if ((e.key === 'Enter' || e.key === ' ') && t.matches && t.matches('mark[data-p]')) {
      activate(t, t);
      e.preventDefault();
    }
  });

  // A printed report shows everything, folded parts included.
  addEventListener('beforeprint', function () {
    doc.querySelectorAll('details').forEach(function (d) { d.open = true; });
  });

  var asked = /^#(pair-[0-9]+)-p([0-9]+)$/.exec(location.hash);
  var section = asked && doc.getElementById(asked[1]);
  if (section) show(section, asked[2], null);

  doc.documentElement.setAttribute('data-ready', '');
})();
