/* Ombud cookie banner. Hand-kept small (tests/consent/test_banner_assets.py measures it):
   no framework, no third-party request, no inline code or eval, so it runs under a strict
   Content-Security-Policy. Embed with: <script src="https://OMBUD/privacy/consent.js" defer> */
(function () {
  'use strict';
  var d = document, w = window, nav = navigator;
  var me = d.currentScript;
  var base = me ? me.src.replace(/\/privacy\/consent\.js.*$/, '') : '';
  var NAME = 'ombud_consent';
  var cfg, saved, root, box, lastFocus, listeners = [];
  var gpc = nav.globalPrivacyControl === true;

  function uuid() {
    var b = crypto.getRandomValues(new Uint8Array(16)), h = [];
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    for (var i = 0; i < 16; i++) h.push((b[i] + 256).toString(16).slice(1));
    h = h.join('');
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join('-');
  }

  function read() {
    var m = d.cookie.match(/(?:^|; )ombud_consent=([^;]*)/);
    try { return m ? JSON.parse(decodeURIComponent(m[1])) : null; } catch (e) { return null; }
  }

  function store(s) {
    d.cookie = NAME + '=' + encodeURIComponent(JSON.stringify(s)) + '; Max-Age=' +
      cfg.expiry_days * 86400 + '; Path=/; SameSite=Lax' +
      (location.protocol === 'https:' ? '; Secure' : '');
  }

  function valid(s) {
    return s && s.h === cfg.notice.hash && Date.now() - s.t < cfg.expiry_days * 864e5;
  }

  function granted(key) {
    var c = cat(key);
    if (!c) return false;
    if (c.required) return true;
    return !!(saved && saved.c[key]) && !(gpc && c.gpc);
  }

  function cat(key) {
    if (key === 'necessary') key = 'strictly_necessary';
    for (var i = 0; i < cfg.categories.length; i++) if (cfg.categories[i].key === key) return cfg.categories[i];
    return null;
  }

  function choices() {
    var o = {};
    cfg.categories.forEach(function (c) { o[c.key] = granted(c.key); });
    return o;
  }

  // Google Consent Mode v2: a denied default before any tag, an update after each choice.
  function gtag() { (w.dataLayer = w.dataLayer || []).push(arguments); }
  function consentMode(kind) {
    if (!cfg.google_consent_mode) return;
    var g = function (k) { return granted(k) ? 'granted' : 'denied'; };
    var ad = g('advertising');
    var s = { ad_storage: ad, ad_user_data: ad, ad_personalization: ad,
      analytics_storage: g('analytics'), functionality_storage: g('functional'),
      personalization_storage: g('functional'), security_storage: 'granted' };
    if (kind === 'default') s.wait_for_update = 500;
    gtag('consent', kind, s);
  }

  // Blocked scripts and iframes run in document order once their category is granted.
  function unblock() {
    var els = d.querySelectorAll('script[type="text/plain"][data-category],iframe[data-src][data-category]');
    var todo = [].filter.call(els, function (el) { return !el.ombudRan && granted(el.getAttribute('data-category')); });
    (function next() {
      var el = todo.shift();
      if (!el) return;
      el.ombudRan = true;
      if (el.tagName === 'IFRAME') { el.src = el.getAttribute('data-src'); return next(); }
      var s = d.createElement('script'), src = el.getAttribute('data-src') || el.getAttribute('src');
      [].forEach.call(el.attributes, function (a) {
        if (!/^(type|src|data-src)$/.test(a.name)) s.setAttribute(a.name, a.value);
      });
      if (el.nonce) s.nonce = el.nonce;
      s.ombudRan = true;
      if (src) { s.src = src; s.onload = s.onerror = next; } else s.text = el.text;
      el.parentNode.replaceChild(s, el);
      if (!src) next();
    })();
  }

  // Withdrawn categories: delete their first-party cookies and storage keys by name.
  function clean(key) {
    var c = cat(key), host = location.hostname.split('.');
    c.cookies.forEach(function (k) {
      var pre = k.name.replace(/\*$/, ''), star = pre !== k.name;
      d.cookie.split('; ').forEach(function (p) {
        var n = p.split('=')[0];
        if (n !== k.name && !(star && n.indexOf(pre) === 0)) return;
        for (var i = 0; i < host.length - 1 || i === 0; i++) {
          var dom = host.slice(i).join('.');
          d.cookie = n + '=; Max-Age=0; Path=/';
          d.cookie = n + '=; Max-Age=0; Path=/; Domain=' + dom;
        }
      });
      try { localStorage.removeItem(k.name); sessionStorage.removeItem(k.name); } catch (e) { /* blocked */ }
    });
  }

  function decide(c) {
    var before = saved ? choices() : {};
    saved = { id: saved ? saved.id : uuid(), h: cfg.notice.hash, v: cfg.notice.version, t: Date.now(), c: c };
    var now = choices();
    Object.keys(before).forEach(function (k) { if (before[k] && !now[k]) clean(k); });
    store(saved);
    close();
    consentMode('update');
    unblock();
    listeners.forEach(function (fn) { try { fn(now); } catch (e) { setTimeout(function () { throw e; }); } });
    fetch(cfg.decision_url, {
      method: 'POST', credentials: 'omit', keepalive: true,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ device_id: saved.id, choices: c, notice_hash: cfg.notice.hash,
        page: (location.origin + location.pathname).slice(0, 2000), gpc: gpc })
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (j) {
      if (j && j.receipt_id) { saved.r = j.receipt_id; store(saved); }
    }).catch(function () { /* the choice stands locally; it is sent again on the next choice */ });
  }

  function all(v) {
    var o = {};
    cfg.categories.forEach(function (c) { o[c.key] = c.required || (v && !(gpc && c.gpc)); });
    return o;
  }

  function h(tag, attrs, kids) {
    var el = d.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') el.textContent = attrs[k];
      else if (attrs[k] !== false) el.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
    });
    (kids || []).forEach(function (k) { if (k) el.appendChild(k); });
    return el;
  }

  function table(c) {
    var t = cfg.texts, cols = ['name', 'provider', 'duration', 'purpose'];
    return h('details', {}, [
      h('summary', { text: t.cookies + ' (' + c.cookies.length + ')' }),
      h('table', {}, [
        h('thead', {}, [h('tr', {}, cols.map(function (k) { return h('th', { scope: 'col', text: t[k] }); }))]),
        h('tbody', {}, c.cookies.map(function (k) {
          return h('tr', {}, cols.map(function (col) { return h('td', { text: k[col] }); }));
        }))
      ])
    ]);
  }

  function build() {
    var t = cfg.texts, refused = cfg.categories.filter(function (c) { return gpc && c.gpc; });
    var list = h('div', { class: 'oc-set', hidden: true }, cfg.categories.map(function (c) {
      var id = 'oc-c-' + c.key, locked = c.required || (gpc && c.gpc);
      var box = h('input', { type: 'checkbox', role: 'switch', id: id, name: c.key,
        'aria-describedby': id + '-d', disabled: locked,
        checked: c.required || (!locked && !!(saved && saved.c[c.key])) });
      return h('div', { class: 'oc-cat' }, [
        h('div', { class: 'oc-row' }, [box, h('label', { for: id, text: c.title }),
          c.required ? h('span', { class: 'oc-tag', text: t.always }) : null]),
        h('p', { id: id + '-d', text: c.description }),
        c.cookies.length ? table(c) : null
      ]);
    }));
    var btn = function (a, label) { return h('button', { type: 'button', class: 'oc-b', 'data-a': a, text: label }); };
    box = h('div', { class: 'oc-box', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'oc-t',
      'aria-describedby': 'oc-d', tabindex: '-1', lang: cfg.lang }, [
      h('h2', { id: 'oc-t', text: t.title }),
      h('p', { id: 'oc-d' }, [d.createTextNode(t.intro + ' '), h('a', { href: cfg.statement_url, text: t.statement })]),
      refused.length ? h('p', { class: 'oc-gpc', text: t.gpc + ' ' + refused.map(function (c) { return c.title; }).join(', ') + '.' }) : null,
      list,
      h('div', { class: 'oc-btns' }, [btn('all', t.accept), btn('none', t.reject), btn('set', t.settings), btn('save', t.save)])
    ]);
    root = h('div', { class: 'oc', id: 'ombud-consent', hidden: true }, [box]);
    root.addEventListener('click', onClick);
    root.addEventListener('keydown', onKey);
    d.body.appendChild(root);
    var fab = h('button', { type: 'button', class: 'oc-fab', text: t.reopen });
    fab.addEventListener('click', show);
    d.body.appendChild(fab);
  }

  // Leaving the settings layer without saving discards its changes.
  function layer(second) {
    if (!second) {
      [].forEach.call(box.querySelectorAll('.oc-set input:not([disabled])'), function (i) { i.checked = !!(saved && saved.c[i.name]); });
    }
    box.querySelector('.oc-set').hidden = !second;
    box.querySelector('[data-a=set]').hidden = second;
    box.querySelector('[data-a=save]').hidden = !second;
    box.classList.toggle('oc-2', second);
  }

  function onClick(e) {
    var a = e.target.getAttribute && e.target.getAttribute('data-a');
    if (a === 'all') decide(all(true));
    else if (a === 'none') decide(all(false));
    else if (a === 'set') { layer(true); box.querySelector('input:not([disabled])') ? box.querySelector('input:not([disabled])').focus() : box.focus(); }
    else if (a === 'save') {
      var o = {};
      [].forEach.call(box.querySelectorAll('.oc-set input'), function (i) { o[i.name] = i.checked; });
      decide(o);
    }
  }

  function focusables() {
    return [].filter.call(box.querySelectorAll('button,input,a[href],summary'), function (el) {
      return !el.disabled && el.offsetParent !== null;
    });
  }

  function onKey(e) {
    if (e.key === 'Escape') {
      if (!box.querySelector('.oc-set').hidden) { layer(false); box.querySelector('[data-a=set]').focus(); }
      else if (saved) close();
      return;
    }
    if (e.key !== 'Tab') return;
    var f = focusables(), first = f[0], last = f[f.length - 1];
    if (e.shiftKey && (d.activeElement === first || d.activeElement === box)) { last.focus(); e.preventDefault(); }
    else if (!e.shiftKey && d.activeElement === last) { first.focus(); e.preventDefault(); }
  }

  function show() {
    if (!root) return;
    lastFocus = d.activeElement;
    layer(false);
    root.hidden = false;
    box.focus();
  }

  function close() {
    root.hidden = true;
    if (lastFocus && lastFocus.focus && lastFocus !== d.body) lastFocus.focus();
  }

  w.ombudConsent = {
    show: show,
    on: function (ev, fn) { if (ev === 'change') listeners.push(fn); },
    get: function () { return cfg ? choices() : null; },
    ready: false
  };

  function start(c) {
    cfg = c;
    saved = read();
    // Expired or asked under another notice: ask again, keeping the device id.
    if (!valid(saved)) saved = saved && saved.id ? { id: saved.id, c: {} } : null;
    var ok = saved && saved.h;
    consentMode('default');
    if (ok) consentMode('update');
    unblock();
    build();
    w.ombudConsent.ready = true;
    if (!ok) show();
  }

  // The banner is built only once its style sheet is in: unstyled, it would shift the page.
  function boot() {
    var css = d.createElement('link');
    var styled = new Promise(function (ok) { css.onload = css.onerror = ok; });
    css.rel = 'stylesheet';
    css.href = base + '/privacy/consent.css';
    d.head.appendChild(css);
    var q = encodeURIComponent(d.documentElement.lang || nav.language || '');
    Promise.all([fetch(base + '/privacy/consent/config?lang=' + q, { credentials: 'omit' })
      .then(function (r) { return r.json(); }), styled]).then(function (a) { start(a[0]); });
  }

  if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', boot); else boot();
})();
