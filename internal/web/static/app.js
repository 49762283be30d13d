// gennaker UI: live updates and actions. Every page works without this file;
// with it, pages refresh their #live region when the API's server-sent events
// say something changed, and action forms call the API with fetch.
(() => {
  'use strict';
  const liveURL = document.body.dataset.live;
  const liveState = document.getElementById('live-state');
  const statusBox = document.getElementById('action-status');
  let timer = null;

  function setLive(text) { if (liveState) liveState.textContent = text; }

  // sayState is the execution's state (its status and every stage's) when
  // a message was said; a message about an action is cleared once the state
  // moves on, so "Decision sent" never outlives the decision.
  let sayState = null;
  let lastState = null;
  let saidBox = null;

  // say shows an action's outcome: in the form's own status line when it
  // has one (next to what the person is looking at), else at the top.
  function say(html, isError, form) {
    const box = (form && form.querySelector('.action-status')) || statusBox;
    if (!box) return;
    box.hidden = false;
    box.classList.toggle('error', !!isError);
    box.innerHTML = html;
    saidBox = box;
    sayState = isError ? null : lastState;
  }

  function clearSaidWhenMoved(exec) {
    lastState = exec.status + '|' + (exec.stages || []).map(s => s.name + ':' + s.status).join(',');
    if (sayState !== null && saidBox && lastState !== sayState) {
      saidBox.hidden = true;
      saidBox.innerHTML = '';
      sayState = null;
    }
  }

  // The deploy form's pipeline dropdown shows names only; the hint under
  // it and the parameters' example follow the chosen pipeline.
  document.addEventListener('change', ev => {
    const sel = ev.target;
    if (sel.id !== 'deploy-pipeline') return;
    const opt = sel.selectedOptions[0];
    const hint = document.getElementById('deploy-pipeline-hint');
    if (hint && opt) hint.textContent = (opt.value || 'automatic') + ': ' + opt.dataset.hint;
    const params = document.getElementById('deploy-params');
    if (params && opt) params.placeholder = opt.dataset.params || '';
  });

  function esc(s) {
    return String(s).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }

  // refresh fetches this page again and swaps in its #live region. At most
  // one fetch is in flight: a refresh asked for meanwhile is remembered and
  // made once that fetch ends, so a burst of changes costs two fetches, not
  // one per change, and a slow server never sees fetches pile up. A fetch
  // that hangs is given up after refreshTimeout. It waits while someone is
  // typing in a field inside the region, and while the tab is hidden.
  const refreshTimeout = 20000;
  let inFlight = null; // the AbortController of the fetch in flight
  let again = false;   // a refresh was asked for while one was in flight
  let missed = false;  // a refresh was asked for while the tab was hidden
  let dueAt = 0;       // when the scheduled refresh runs (0: none)

  async function refresh() {
    dueAt = 0;
    const cur = document.getElementById('live');
    if (!cur) return;
    if (document.visibilityState === 'hidden') { missed = true; return; }
    if (inFlight) { again = true; return; }
    const active = document.activeElement;
    if (active && cur.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) && active.value) {
      schedule(2000);
      return;
    }
    const ctl = new AbortController();
    const giveUp = setTimeout(() => ctl.abort(), refreshTimeout);
    inFlight = ctl;
    try {
      const res = await fetch(location.href, { headers: { Accept: 'text/html' }, cache: 'no-store', signal: ctl.signal });
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const next = doc.getElementById('live');
      if (!next || next.innerHTML === cur.innerHTML) return;
      const focusedId = active && active.id;
      cur.innerHTML = next.innerHTML;
      if (focusedId && cur.querySelector('#' + CSS.escape(focusedId))) document.getElementById(focusedId).focus();
    } catch {
      // Offline, aborted or refused: the next change or the fallback timer tries again.
    } finally {
      clearTimeout(giveUp);
      inFlight = null;
      if (again) { again = false; schedule(); }
    }
  }

  // schedule asks for a refresh in delay ms (150 by default). Requests
  // coalesce: one already due sooner is kept, so a stream of changes does
  // not postpone the refresh forever, and many become one.
  function schedule(delay) {
    const at = Date.now() + (delay === undefined ? 150 : delay);
    if (dueAt && dueAt <= at) return;
    clearTimeout(timer);
    dueAt = at;
    timer = setTimeout(refresh, at - Date.now());
  }

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && missed) { missed = false; schedule(0); }
  });

  function activeStage(exec) {
    return (exec.stages || []).some(s => s.status === 'running' || s.status === 'waiting');
  }

  if (liveURL && 'EventSource' in window) {
    const es = new EventSource(liveURL);
    // While the stream is down (EventSource reconnects by itself), changes
    // are not announced: look again now and then until it is back.
    const fallbackEvery = 30000;
    let fallback = null;
    es.onopen = () => {
      setLive('● live');
      if (fallback) { clearInterval(fallback); fallback = null; schedule(0); } // catch up on what was missed
    };
    es.onerror = () => {
      setLive('reconnecting…');
      if (!fallback && es.readyState !== EventSource.CLOSED) fallback = setInterval(() => schedule(0), fallbackEvery);
    };
    // /api/v1/executions/{id}/stream: the whole execution on every change.
    es.addEventListener('execution', ev => {
      const exec = JSON.parse(ev.data);
      clearSaidWhenMoved(exec);
      const badge = document.getElementById('exec-status');
      if (badge && badge.dataset.status !== exec.status) {
        badge.textContent = exec.status;
        badge.dataset.status = exec.status;
      }
      schedule(50);
      if (exec.status !== 'running' && !activeStage(exec)) {
        es.close();
        if (fallback) { clearInterval(fallback); fallback = null; }
        setLive('finished');
      }
    });
    // /api/v1/stream: one "update" per execution change anywhere; a burst
    // of them becomes one refresh (see schedule).
    es.addEventListener('update', () => schedule(300));
  }

  function parseParams(text) {
    const out = {};
    text.split('\n').forEach((line, i) => {
      line = line.trim();
      if (!line || line.startsWith('#')) return;
      const eq = line.indexOf('=');
      if (eq < 1) throw new Error('parameters line ' + (i + 1) + ': "' + line + '" is not key=value');
      out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    });
    return out;
  }

  // Action forms carry data-api (the API route), data-confirm (a question to
  // confirm first) and data-then="navigate" (go to the started execution);
  // a submit button's own data-api and data-confirm win over the form's.
  document.addEventListener('submit', async ev => {
    const form = ev.target;
    const btn = ev.submitter;
    const api = (btn && btn.dataset.api) || form.dataset.api;
    if (!api) return;
    ev.preventDefault();
    const question = (btn && btn.dataset.confirm) || form.dataset.confirm;
    if (question && !window.confirm(question)) return;
    const body = {};
    // Fields marked data-number go as numbers (an execution's version in
    // the canary controls); a deploy's version is a string ("v9").
    const numeric = new Set([...form.querySelectorAll('[data-number]')].map(el => el.name));
    try {
      new FormData(form).forEach((v, k) => {
        if (v === '') return;
        body[k] = k === 'params' ? parseParams(v) : numeric.has(k) ? Number(v) : v;
      });
    } catch (err) {
      say(esc(err.message), true, form);
      return;
    }
    const buttons = form.querySelectorAll('button');
    buttons.forEach(b => { b.disabled = true; });
    say('Working…', false, form);
    try {
      const res = await fetch(api, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      const data = await res.json().catch(() => ({}));
      if (res.status === 401) {
        say('Not done: your session has ended. <a href="/login?next=' + encodeURIComponent(location.pathname + location.search) + '">Log in again</a>.', true, form);
        return;
      }
      if (!res.ok) {
        say('Not done: ' + esc(data.error || res.statusText) + (data.errors ? '<br>' + data.errors.map(esc).join('<br>') : ''), true, form);
        return;
      }
      if (form.dataset.then === 'reload') {
        location.reload(); // a retried execution runs again: follow it live
        return;
      }
      if (form.dataset.then === 'navigate' && data.id) {
        location.href = '/executions/' + encodeURIComponent(data.id);
        return;
      }
      const link = data.id && api.indexOf('/executions/') < 0
        ? ': execution <a href="/executions/' + encodeURIComponent(data.id) + '">' + esc(data.id.slice(0, 12)) + '</a>' : '';
      say(esc(form.dataset.done || 'Done') + link + '.', false, form);
      schedule(0);
      // Traffic moves a moment after a rollback starts; look again until it settles.
      [500, 1500, 3000].forEach(d => setTimeout(() => schedule(0), d));
    } catch (err) {
      say('Not done: ' + esc(err.message), true, form);
    } finally {
      buttons.forEach(b => { b.disabled = false; });
    }
  });
})();
